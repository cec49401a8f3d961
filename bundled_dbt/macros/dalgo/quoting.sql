{#- Quoting helpers the vendored macros build on: identifiers and literals are always escaped, so a
    column called `x"; drop table y; --` is only ever a column name. -#}

{% macro dalgo_quote_identifier(name) -%}
    {{ return(adapter.dispatch('dalgo_quote_identifier')(name)) }}
{%- endmacro %}

{% macro default__dalgo_quote_identifier(name) -%}
    "{{ name | string | replace('"', '""') }}"
{%- endmacro %}

{% macro bigquery__dalgo_quote_identifier(name) -%}
    `{{ name | string | replace('\\', '\\\\') | replace('`', '\\`') }}`
{%- endmacro %}


{% macro dalgo_string_literal(value) -%}
    {{ return(adapter.dispatch('dalgo_string_literal')(value)) }}
{%- endmacro %}

{% macro default__dalgo_string_literal(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}

{% macro bigquery__dalgo_string_literal(value) -%}
    '{{ value | string | replace('\\', '\\\\') | replace("'", "\\'") }}'
{%- endmacro %}


{#- The text type used when values of mixed types are put in one column. -#}
{% macro dalgo_type_text() -%}
    {{ return(adapter.dispatch('dalgo_type_text')()) }}
{%- endmacro %}

{% macro default__dalgo_type_text() -%} varchar {%- endmacro %}

{% macro postgres__dalgo_type_text() -%} text {%- endmacro %}

{% macro bigquery__dalgo_type_text() -%} string {%- endmacro %}
