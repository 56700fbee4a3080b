{{ margin_rollup('month') }}
