
{{ margin_rollup('month') }}
