{#- numerator / denominator as a floating-point number; NULL when the denominator is 0 or NULL.
    Arguments are SQL expressions, e.g. dalgo_safe_divide(dalgo_quote_identifier('amount'), '12'). -#}

{% macro dalgo_safe_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('dalgo_safe_divide')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__dalgo_safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as double precision) / nullif({{ denominator }}, 0))
{%- endmacro %}

{% macro duckdb__dalgo_safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as double) / nullif({{ denominator }}, 0))
{%- endmacro %}

{% macro bigquery__dalgo_safe_divide(numerator, denominator) -%}
    safe_divide(cast({{ numerator }} as float64), {{ denominator }})
{%- endmacro %}
