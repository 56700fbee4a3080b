"""Provider bills reconciled per model where the bill breaks cost down by model."""

import json


def test_reconciliation_grain_per_provider(query):
    grains = dict(query("""select provider, string_agg(distinct reconciliation_grain, ',')
                           from marts.fct_provider_reconciliation_daily where is_reconciled group by 1"""))
    # OpenAI line items and the Anthropic cost report name the model; the FOCUS export of Bedrock does not
    assert grains == {"openai": "model", "anthropic": "model", "aws.bedrock": "provider"}
    assert query("""select count(*) from marts.fct_provider_reconciliation_daily
                    where not is_reconciled and reconciliation_grain is not null""")[0][0] == 0


def test_price_change_residual_stays_on_the_model(query, small_dataset):
    """The generator's Anthropic bill raises claude-sonnet-4-5 by 25% from the price_change day, on top of
    2% usage the app never logged: by model, haiku keeps a 2% residual and sonnet carries 1.25 x 1.02 - 1."""
    day = json.loads((small_dataset / "manifest.json").read_text())["scenarios"]["price_change"]
    rows = dict(query(f"""
        select model, sum(reconciliation_residual_usd) / sum(estimated_cost_usd)
        from intermediate.int_inference_cost_reconciled
        where provider = 'anthropic' and usage_date >= date '{day}' and is_reconciled
        group by 1"""))
    assert abs(float(rows["claude-haiku-4-5"]) - 0.02) < 0.001
    assert abs(float(rows["claude-sonnet-4-5-20250929"]) - 0.275) < 0.001
