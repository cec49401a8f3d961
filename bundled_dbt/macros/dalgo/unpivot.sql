{#- Columns to rows: a full SELECT with the kept columns, a name column (the unpivoted column's name)
    and a value column (its value as text unless cast_to says otherwise). NULL values are kept.

    relation      a ref()/source() relation, or the name of a CTE
    columns       the columns to turn into rows; none → every column of the relation not in `keep`
                  (needs a real relation, looked up when the model runs)
    keep          columns repeated on every output row
    name_column / value_column   names of the two new columns
    cast_to       SQL type for the value column (default: the warehouse's text type)

    with long as ({{ dalgo_unpivot(ref('survey'), ['q1', 'q2'], keep=['respondent_id']) }})
    select * from long
-#}

{% macro dalgo_unpivot(relation, columns=none, keep=[], name_column='name', value_column='value', cast_to=none) -%}
    {%- set columns = dalgo__unpivot_columns(relation, columns, keep) -%}
    {%- set cast_to = cast_to if cast_to is not none else dalgo_type_text() -%}
    {{ return(adapter.dispatch('dalgo_unpivot')(relation, columns, keep, name_column, value_column, cast_to)) }}
{%- endmacro %}

{% macro dalgo__unpivot_columns(relation, columns, keep) -%}
    {%- if columns -%}
        {{ return(columns) }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set keep_lower = keep | map('lower') | list -%}
    {%- set found = [] -%}
    {%- for col in adapter.get_columns_in_relation(relation) -%}
        {%- if col.name | lower not in keep_lower -%}
            {%- do found.append(col.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if found | length == 0 -%}
        {{ exceptions.raise_compiler_error("dalgo_unpivot: no columns to unpivot in " ~ relation ~ " (name them in `columns`, or run its upstream model first)") }}
    {%- endif -%}
    {{ return(found) }}
{%- endmacro %}

{#- Portable fallback: one SELECT per column, glued with UNION ALL. -#}
{% macro default__dalgo_unpivot(relation, columns, keep, name_column, value_column, cast_to) -%}
    {%- for column in columns %}
    select
        {%- for k in keep %} {{ dalgo_quote_identifier(k) }},{% endfor %}
        cast({{ dalgo_string_literal(column) }} as {{ dalgo_type_text() }}) as {{ dalgo_quote_identifier(name_column) }},
        cast({{ dalgo_quote_identifier(column) }} as {{ cast_to }}) as {{ dalgo_quote_identifier(value_column) }}
    from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- Postgres: one scan of the relation, a VALUES row per column through a lateral join. -#}
{% macro postgres__dalgo_unpivot(relation, columns, keep, name_column, value_column, cast_to) -%}
    select
        {%- for k in keep %} dalgo_src.{{ dalgo_quote_identifier(k) }},{% endfor %}
        dalgo_rows.{{ dalgo_quote_identifier(name_column) }},
        dalgo_rows.{{ dalgo_quote_identifier(value_column) }}
    from {{ relation }} as dalgo_src
    cross join lateral (values
        {%- for column in columns %}
        ({{ dalgo_string_literal(column) }}::text, cast(dalgo_src.{{ dalgo_quote_identifier(column) }} as {{ cast_to }}))
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    ) as dalgo_rows({{ dalgo_quote_identifier(name_column) }}, {{ dalgo_quote_identifier(value_column) }})
{%- endmacro %}

{#- DuckDB and BigQuery: the SQL-standard UNPIVOT, after casting the columns to one type. -#}
{% macro duckdb__dalgo_unpivot(relation, columns, keep, name_column, value_column, cast_to) -%}
    {{ return(dalgo__unpivot_standard(relation, columns, keep, name_column, value_column, cast_to)) }}
{%- endmacro %}

{% macro bigquery__dalgo_unpivot(relation, columns, keep, name_column, value_column, cast_to) -%}
    {{ return(dalgo__unpivot_standard(relation, columns, keep, name_column, value_column, cast_to)) }}
{%- endmacro %}

{% macro dalgo__unpivot_standard(relation, columns, keep, name_column, value_column, cast_to) -%}
    select
        {%- for k in keep %} {{ dalgo_quote_identifier(k) }},{% endfor %}
        {{ dalgo_quote_identifier(name_column) }},
        {{ dalgo_quote_identifier(value_column) }}
    from (
        select
            {%- for k in keep %} {{ dalgo_quote_identifier(k) }},{% endfor %}
            {%- for column in columns %}
            cast({{ dalgo_quote_identifier(column) }} as {{ cast_to }}) as {{ dalgo_quote_identifier(column) }}
            {%- if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ relation }}
    ) as dalgo_src
    unpivot include nulls ({{ dalgo_quote_identifier(value_column) }} for {{ dalgo_quote_identifier(name_column) }} in (
        {%- for column in columns %}{{ dalgo_quote_identifier(column) }}{% if not loop.last %}, {% endif %}{% endfor -%}
    ))
{%- endmacro %}
