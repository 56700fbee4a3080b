{#- on-run-start hook: whether this build's checkpoints vacuum (DuckDB merges the row groups that deletes
    have thinned). A routine build deletes and re-inserts a few days of every day-partitioned table, and
    vacuuming after it cost a 10M-event routine build about 2 s, so ai-margin build defers it
    (AI_MARGIN_DEFER_VACUUM=1) in all but every ai_margin.build.VACUUM_EVERY-th routine build; one
    vacuum takes back what the deferred ones left. Any other build, and any other dbt command, vacuums
    as usual. Read at run time only (`execute`): not an input of parsing. -#}
{%- macro set_vacuum_for_build() -%}
    {%- if execute -%}
    {%- if env_var('AI_MARGIN_DEFER_VACUUM', '0') == '1' -%}
    set global max_vacuum_tasks = 0
    {%- else -%}
    reset global max_vacuum_tasks
    {%- endif -%}
    {%- endif -%}
{%- endmacro -%}
