{#- Rows to columns: one aggregated column per value of `column` (a select-list fragment; use it with a
    GROUP BY on the columns you keep).

    column        name of the column whose values become columns
    values        the values to turn into columns (None matches NULL)
    value_column  column aggregated into each new column; none → count matching rows
    agg           sum | avg | count | min | max
    prefix/suffix added to each new column's name (the value itself is the rest of the name)
    else_value    SQL expression used when a row does not match (default: 0 for a sum of matches, else NULL)

    select district, {{ dalgo_pivot('month', ['jan', 'feb'], value_column='visits') }}
    from {{ ref('visits') }} group by district
-#}

{% macro dalgo_pivot(column, values, value_column=none, agg='sum', prefix='', suffix='', else_value=none) -%}
    {{ return(adapter.dispatch('dalgo_pivot')(column, values, value_column, agg, prefix, suffix, else_value)) }}
{%- endmacro %}

{% macro default__dalgo_pivot(column, values, value_column, agg, prefix, suffix, else_value) -%}
    {%- set agg = agg | lower -%}
    {%- if agg not in ['sum', 'avg', 'count', 'min', 'max'] -%}
        {{ exceptions.raise_compiler_error("dalgo_pivot: agg must be one of sum, avg, count, min, max (got '" ~ agg ~ "')") }}
    {%- endif -%}
    {%- if values | length == 0 -%}
        {{ exceptions.raise_compiler_error("dalgo_pivot: give at least one value of '" ~ column ~ "' to turn into a column") }}
    {%- endif -%}
    {%- set col = dalgo_quote_identifier(column) -%}
    {%- if value_column is none -%}
        {%- set then_value = '1' -%}
        {%- set otherwise = else_value if else_value is not none else ('0' if agg == 'sum' else none) -%}
    {%- else -%}
        {%- set then_value = dalgo_quote_identifier(value_column) -%}
        {%- set otherwise = else_value -%}
    {%- endif -%}
    {%- for value in values %}
    {{ agg }}(case when
        {%- if value is none %} {{ col }} is null
        {%- else %} cast({{ col }} as {{ dalgo_type_text() }}) = {{ dalgo_string_literal(value) }}
        {%- endif %} then {{ then_value }}
        {%- if otherwise is not none %} else {{ otherwise }}{% endif %} end)
        as {{ dalgo_quote_identifier(prefix ~ (value if value is not none else 'null') ~ suffix) }}
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
