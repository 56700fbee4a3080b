{{ margin_rollup('week') }}
