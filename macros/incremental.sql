{#- Incremental event-grain models: what to re-process on an incremental run. -#}

{#- The side tables an incremental model keeps beside itself, named <model>__<suffix>:
    prices_applied    the resolved prices the event-grain model priced with (next run: what changed)
    inputs_now / inputs_applied   per-day fingerprints of a day-partitioned model's inputs
    days_to_build / days_built    the days this run rebuilds / the last run rebuilt
    day_fingerprints  per-day fingerprints of the model's own rows, for the models after it
    drivers_kept      the alerts' primary cost drivers fct_margin_alerts kept from the last build -#}
{%- macro side_table(suffix, relation=this) -%}
    {{- return(relation.incorporate(path={'identifier': relation.identifier ~ '__' ~ suffix})) -}}
{%- endmacro -%}

{#- Post-hook: remember the resolved prices this run priced events with, and the fingerprints of the
    days it changed. -#}
{%- macro save_prices_applied(prices) -%}
    create or replace table {{ side_table('prices_applied') }} as select * from {{ prices }};
    drop table if exists {{ side_table('days_to_reprice') }};
    drop table if exists {{ side_table('files_to_price') }};
    {{ save_day_fingerprints('usage_date') }};
    {{ _keep_days_built() }}
{%- endmacro -%}

{#- Pre-hook of the event-grain model (int_usage_events_priced). In an incremental run it prices
    - the events of usage files it has not priced yet, one by one: new days, late events of any age and
      re-delivered events (the loader's file fingerprint, not event time, says what is new; a late file
      costs its own events, not a re-pricing of the days it touches), in <this>__files_to_price;
    - every event of the days priced already whose resolved price changed, appeared or went away since
      the last run, and of the last `usage_lookback_days` days priced (a safety net), in
      <this>__days_to_reprice.
    The rows they replace are deleted first (the model inserts them again), and every day that changed,
    including one a re-delivered event moved out of, goes to <this>__days_to_build for the post-hook
    and the models after this one. Without a record of the prices applied, every day is re-priced. -#}
{%- macro usage_days_to_reprice(events, prices) -%}
    {%- if is_incremental() %}
    {%- set files = side_table('files_to_price') %}
    {%- set reprice = side_table('days_to_reprice') %}
    {%- set applied = side_table('prices_applied') %}
    {%- set has_applied = _recorded_by_last_build(applied) %}
    create or replace table {{ files }} as
    select distinct coalesce(file_fingerprint, '') as file_fingerprint from {{ events }}
    except
    select distinct coalesce(file_fingerprint, '') from {{ this }};
    create or replace table {{ reprice }} as
    select distinct usage_date as day from {{ this }}
    where usage_date > (select max(usage_date) from {{ this }}) - {{ var('usage_lookback_days') | int }}
    union
    {%- if has_applied %}
    -- only days with events priced already: a day whose prices just appeared because its first events
    -- arrived (every new day) is priced event by event with its files, not by a scan of all events
    select distinct usage_date from {{ this }}
    where usage_date in (
        select coalesce(current_price.usage_date, applied.usage_date)
        from {{ prices }} as current_price
        full outer join {{ applied }} as applied
            using (provider, model, service_tier, usage_date, context_tier_start)
        where current_price is distinct from applied
    )
    {%- else %}
    select usage_date from {{ this }}
    union
    select usage_date from {{ events }}
    {%- endif %};
    create or replace temporary table usage_arrived as
    select event_id, {{ event_id_hash('event_id') }} as event_id_hash, usage_date from {{ events }}
    where coalesce(file_fingerprint, '') in (select file_fingerprint from {{ files }});
    -- rows of this table that arriving events replace: candidates by id hash (a narrow column: reading
    -- every event id costs far more), then the exact ids among them; kept by row id
    create or replace temporary table usage_candidates as
    select rowid as row_id from {{ this }} where event_id_hash in (select event_id_hash from usage_arrived);
    create or replace temporary table usage_replaced as
    select rowid as row_id, usage_date from {{ this }}
    where rowid in (select row_id from usage_candidates) and event_id in (select event_id from usage_arrived);
    create or replace table {{ side_table('days_to_build') }} as
    select day from {{ reprice }}
    union
    select usage_date from usage_arrived
    union
    -- the day a re-delivered event was on before, if it moved
    select usage_date from usage_replaced;
    delete from {{ this }} where rowid in (select row_id from usage_replaced);
    delete from {{ this }} where usage_date in (select day from {{ reprice }});
    drop table usage_arrived;
    drop table usage_candidates;
    drop table usage_replaced;
    {%- else %}
    {{ _every_day_to_build() }}
    {%- endif %}
{%- endmacro -%}

{#- int_usage_events_priced.event_id_hash: the top 64 bits of the id's MD5. Stored hashes must match the
    ones computed in later runs, and DuckDB's hash() may change between versions; MD5 does not. -#}
{%- macro event_id_hash(column) -%}
    cast(md5_number({{ column }}) >> 64 as ubigint)
{%- endmacro -%}

{#- The events int_usage_events_priced prices in this run (see usage_days_to_reprice). `events` is a
    relation, not a CTE: DuckDB would materialize a CTE read twice, every event of it. -#}
{%- macro in_usage_to_price(events) -%}
    {%- if is_incremental() -%}
    {%- set reprice = side_table('days_to_reprice') -%}
    select * from {{ events }} where usage_date in (select day from {{ reprice }})
    union all
    select * from {{ events }}
    where coalesce(file_fingerprint, '') in (select file_fingerprint from {{ side_table('files_to_price') }})
        and usage_date not in (select day from {{ reprice }})
    {%- else -%}
    select * from {{ events }}
    {%- endif -%}
{%- endmacro -%}

{#- Day-partitioned incremental models (the day-grain chain after the event-grain table).
    A model whose every row belongs to one day and is computed from that day's input rows only (plus
    small inputs without a day: seeds, pools, model matching) declares its inputs; each run compares a
    per-day fingerprint (row count and sum of row hashes) of every input with the one it last built from,
    and rebuilds only the days whose inputs changed: every day when an input without a day changed, or
    when the model has no record of its inputs yet. Rows of those days are deleted before the insert, so
    a day that lost all its input rows goes too. Config (see int_inference_cost_daily):

        materialized='incremental', incremental_strategy='append',
        pre_hook="{{ day_partitions_pre_hook(inputs, 'usage_date') }}",
        post_hook="{{ day_partitions_post_hook('usage_date') }}"

    and in the model, each input filtered with `where {{ in_days_to_build('usage_date') }}`.
    `inputs`: list of {'name', 'relation', 'day' (a date expression, or none), 'columns' (list; all when
    omitted)}. -#}


{#- Per day (or period: `day` may be an expression of the input's day column) fingerprint of each input.
    An input that is itself day-partitioned keeps the fingerprints of its days (<input>__day_fingerprints,
    see save_day_fingerprints), so a large upstream table is not hashed again by every model after it;
    that fingerprint covers whole rows, whatever `columns` says. -#}
{%- macro input_day_fingerprints(inputs) -%}
    {%- for input in inputs %}
    {%- set kept = _kept_fingerprints(input.relation) %}
    select
        '{{ input.name }}' as input_name,
        {{ input.day if input.day else 'cast(null as date)' }} as day,
        {%- if kept is not none %}
        sum(row_count) as row_count,
        sum(fingerprint) as fingerprint
    from {{ kept }}
        {%- else %}
        count(*) as row_count,
        sum(hash({{ input.columns | join(', ') if input.columns else 't' }})) as fingerprint
    from {{ input.relation }} as t
        {%- endif %}
    group by all
    {{ "union all" if not loop.last }}
    {%- endfor %}
{%- endmacro -%}


{#- The per-day fingerprint table of a relation (a ref, not a subquery), if it keeps one. -#}
{%- macro _kept_fingerprints(relation) -%}
    {%- if relation is string -%}{{- return(none) -}}{%- endif -%}
    {%- set kept = side_table('day_fingerprints', relation) -%}
    {{- return(kept if relation_exists_now(kept) else none) -}}
{%- endmacro -%}

{#- Whether a table exists now, asked of the database: dbt's relation cache does not know the tables
    that hooks created earlier in the same run (a first build would otherwise judge its inputs one way
    and the next build another, and rebuild every day once more). -#}
{%- macro relation_exists_now(relation) -%}
    {%- if not execute -%}{{- return(false) -}}{%- endif -%}
    {%- set found = run_query("select count(*) from duckdb_tables() where database_name = '" ~ relation.database
                              ~ "' and schema_name = '" ~ relation.schema ~ "' and table_name = '"
                              ~ relation.identifier ~ "'") -%}
    {{- return(found.columns[0].values()[0] > 0) -}}
{%- endmacro -%}

{#- Whether a side table a previous build left (<this>__prices_applied, <this>__inputs_applied) exists:
    dbt's relation cache, filled when this run started, knows it. -#}
{%- macro _recorded_by_last_build(relation) -%}
    {{- return(adapter.get_relation(database=relation.database, schema=relation.schema,
                                    identifier=relation.identifier) is not none) -}}
{%- endmacro -%}

{#- The days this build rebuilt stay in <this>__days_built, for the data tests that only need to look at
    what changed (unique_in_days_built). -#}
{%- macro _keep_days_built() -%}
    drop table if exists {{ side_table('days_built') }};
    alter table {{ side_table('days_to_build') }} rename to {{ side_table('days_built').identifier }}
{%- endmacro -%}

{#- A full (not incremental) build: a null day in <this>__days_to_build stands for every day. -#}
{%- macro _every_day_to_build() -%}
    create or replace table {{ side_table('days_to_build') }} as select cast(null as date) as day
{%- endmacro -%}

{#- Post-hook part: the row count and sum of row hashes of each day this run built, in
    <this>__day_fingerprints, for the day-partitioned models downstream to compare. A full build's null
    day is first replaced by the days in the table, so that every later filter is a plain `in` (an `or`
    beside it made DuckDB scan and hash every row of a 10M-row table). -#}
{%- macro save_day_fingerprints(day_column) -%}
    {%- set fingerprints = side_table('day_fingerprints') -%}
    {%- set days = side_table('days_to_build') -%}
    create table if not exists {{ fingerprints }} as
    select {{ day_column }}, count(*) as row_count, sum(hash(t)) as fingerprint from {{ this }} as t where false group by all;
    delete from {{ fingerprints }}
    where {{ day_column }} in (select day from {{ days }}) or exists (select 1 from {{ days }} where day is null);
    insert into {{ days }}
    select distinct {{ day_column }} from {{ this }} where exists (select 1 from {{ days }} where day is null);
    delete from {{ days }} where day is null;
    insert into {{ fingerprints }}
    select {{ day_column }}, count(*), sum(hash(t)) from {{ this }} as t
    where {{ day_column }} in (select day from {{ days }}) group by all
{%- endmacro -%}

{%- macro day_partitions_pre_hook(inputs, day_column) -%}
    {%- set now = side_table('inputs_now') -%}
    {%- set applied = side_table('inputs_applied') -%}
    {%- set days = side_table('days_to_build') -%}
    create or replace table {{ now }} as {{ input_day_fingerprints(inputs) }};
    {%- if is_incremental() %}
    {%- set has_applied = _recorded_by_last_build(applied) %}
    create or replace table {{ days }} as
    {%- if has_applied %}
    with changed as (
        {{ changed_input_days(now, applied) }}
    ),
    everything as (
        select exists (select 1 from changed where day is null) as is_everything
    )
    select day from changed where day is not null
    union
    select {{ day_column }} from {{ this }}, everything where is_everything
    union
    select day from {{ now }}, everything where is_everything and day is not null;
    {%- else %}
    select {{ day_column }} as day from {{ this }}
    union
    select day from {{ now }} where day is not null;
    {%- endif %}
    delete from {{ this }} where {{ day_column }} in (select day from {{ days }});
    {%- else %}
    {{ _every_day_to_build() }};
    {%- endif %}
{%- endmacro -%}

{%- macro day_partitions_post_hook(day_column) -%}
    {{ save_day_fingerprints(day_column) }};
    {{ _keep_inputs_applied() }};
    {{ _keep_days_built() }}
{%- endmacro -%}

{#- The inputs (per day) whose fingerprints differ between <this>__inputs_now and the last build's
    <this>__inputs_applied, or that one of them lacks. -#}
{%- macro changed_input_days(now, applied) -%}
    select coalesce(now.input_name, applied.input_name) as input_name, coalesce(now.day, applied.day) as day
    from {{ now }} as now
    full outer join {{ applied }} as applied
        on now.input_name = applied.input_name and now.day is not distinct from applied.day
    where now.row_count is distinct from applied.row_count
        or now.fingerprint is distinct from applied.fingerprint
{%- endmacro -%}

{#- Post-hook part: the input fingerprints this build used become the record the next build compares with. -#}
{%- macro _keep_inputs_applied() -%}
    drop table if exists {{ side_table('inputs_applied') }};
    alter table {{ side_table('inputs_now') }} rename to {{ side_table('inputs_applied').identifier }}
{%- endmacro -%}

{#- In an incremental run, `day_expression` is one of the days to rebuild; always true otherwise. -#}
{%- macro in_days_to_build(day_expression) -%}
    {%- if is_incremental() -%}
    {{ day_expression }} in (select day from {{ side_table('days_to_build') }})
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro -%}

{#- fct_margin_alerts judges every alert again each build (a cooldown can reach back any number of days),
    but keeps each alert's primary cost driver from the last build while the usage it was found in is
    unchanged: int_usage_cost_drivers_daily on the alert day and the `driver_days` days before, compared by
    per-day fingerprints as for the day-partitioned models. <this>__drivers_kept holds the kept drivers
    (none in a full build, or without a record of the usage they came from) and stays after the build; the
    model looks up the others. Its rows are all replaced. -#}
{%- macro alert_drivers_pre_hook(usage_drivers, driver_days) -%}
    {%- set now = side_table('inputs_now') -%}
    {%- set applied = side_table('inputs_applied') -%}
    {%- set kept = side_table('drivers_kept') -%}
    create or replace table {{ now }} as
    {{ input_day_fingerprints([{'name': 'usage_drivers', 'relation': usage_drivers, 'day': 'usage_date'}]) }};
    create or replace table {{ kept }} (
        alert_id varchar, primary_cost_driver varchar, primary_cost_driver_change_usd {{ money_type() }}
    );
    {%- if is_incremental() %}
    {%- if _recorded_by_last_build(applied) %}
    insert into {{ kept }}
    with changed_days as (
        {{ changed_input_days(now, applied) }}
    )
    select alert_id, primary_cost_driver, primary_cost_driver_change_usd
    from {{ this }} as alerts
    where not exists (
        select 1 from changed_days where day between alerts.alert_date - {{ driver_days }} and alerts.alert_date
    );
    {%- endif %}
    delete from {{ this }};
    {%- endif %}
{%- endmacro -%}

{%- macro alert_drivers_post_hook() -%}
    {{ _keep_inputs_applied() }}
{%- endmacro -%}
