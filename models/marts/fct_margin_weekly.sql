
{{ margin_rollup('week') }}
