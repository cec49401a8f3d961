{#- Stack tables that share some columns: a full SELECT ... UNION ALL ... with every column found in any of
    them (NULL where a table lacks it, cast to the type it has in the first table that has it), plus a column
    naming the table each row came from. Columns are looked up when the model runs.

    relations           list of ref()/source() relations
    source_column_name  name of the added column holding the table name (none → no such column)
    exclude             columns to leave out

    {{ dalgo_union_relations([ref('visits_2023'), ref('visits_2024')]) }}
-#}

{% macro dalgo_union_relations(relations, source_column_name='_dalgo_source', exclude=[]) -%}
    {{ return(adapter.dispatch('dalgo_union_relations')(relations, source_column_name, exclude)) }}
{%- endmacro %}

{% macro default__dalgo_union_relations(relations, source_column_name, exclude) -%}
    {%- if relations | length == 0 -%}
        {{ exceptions.raise_compiler_error("dalgo_union_relations: give at least one relation") }}
    {%- endif -%}
    {%- if not execute -%}
        {#- Parsing only records the ref()s; columns are known once the upstream tables exist. -#}
        {{ return('select 1 as ' ~ dalgo_quote_identifier('_dalgo_unparsed')) }}
    {%- endif -%}
    {%- set excluded = exclude | map('lower') | list -%}
    {%- set names = [] -%}
    {%- set types = {} -%}
    {%- set present = {} -%}
    {%- for relation in relations -%}
        {%- set cols = adapter.get_columns_in_relation(relation) -%}
        {%- if cols | length == 0 -%}
            {{ exceptions.raise_compiler_error("dalgo_union_relations: " ~ relation ~ " has no columns or does not exist yet (run it first)") }}
        {%- endif -%}
        {%- set here = {} -%}
        {%- for col in cols if col.name | lower not in excluded -%}
            {%- if col.name | lower not in types -%}
                {%- do names.append(col.name) -%}
                {%- do types.update({col.name | lower: col.data_type}) -%}
            {%- endif -%}
            {%- do here.update({col.name | lower: col.name}) -%}
        {%- endfor -%}
        {%- do present.update({loop.index0: here}) -%}
    {%- endfor -%}
    {%- for relation in relations %}
    select
        {%- if source_column_name %}
        cast({{ dalgo_string_literal(relation.identifier if relation.identifier is defined else relation) }} as {{ dalgo_type_text() }}) as {{ dalgo_quote_identifier(source_column_name) }},
        {%- endif %}
        {%- set outer = loop -%}
        {%- for name in names %}
        cast({% if name | lower in present[outer.index0] %}{{ dalgo_quote_identifier(present[outer.index0][name | lower]) }}{% else %}null{% endif %} as {{ types[name | lower] }}) as {{ dalgo_quote_identifier(name) }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
