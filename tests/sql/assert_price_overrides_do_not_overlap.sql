-- Two overrides for the same provider, model and tier may not be in force on the same day:
-- each call must get exactly one price.
select a.provider, a.model, a.service_tier, a.valid_from, b.valid_from as overlapping_from
from {{ ref('model_price_overrides') }} as a
inner join {{ ref('model_price_overrides') }} as b
    on lower(a.provider) = lower(b.provider)
    and lower(a.model) = lower(b.model)
    and (a.service_tier is not distinct from b.service_tier or a.service_tier is null or b.service_tier is null)
    and a.valid_from < b.valid_to and b.valid_from < a.valid_to
    and (a.valid_from, coalesce(a.service_tier, '')) < (b.valid_from, coalesce(b.service_tier, ''))
