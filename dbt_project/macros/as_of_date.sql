{#
    as_of_date(): the business date every "as of" model is built for, as a SQL date literal.

    It comes from the required var `as_of_date` (YYYY-MM-DD), e.g. --vars '{as_of_date: "2026-02-28"}'.
    There is deliberately no default in dbt_project.yml: a default date would silently build the marts for the
    wrong day. Models call this macro instead of var('as_of_date') so that:
      - parse, ls, compile and docs generate work without the var (they render a null date with a comment,
        so the compiled SQL can be read but never mistaken for a real date);
      - run, build, test, show, snapshot, retry and clone stop with a clear error when it is missing;
      - a malformed value (2026-2-28, 28/02/2026, 2026-02-30) stops every command at once.
    Nothing in a model calls current_date or now(): "today" is always this var.
#}
{% macro as_of_date() %}
    {%- set value = var('as_of_date', none) -%}

    {%- if value is none or (value | string | trim) == '' -%}
        {%- set commands_that_need_it = ['run', 'build', 'test', 'show', 'snapshot', 'retry', 'clone'] -%}
        {%- if execute and flags.WHICH in commands_that_need_it -%}
            {{ exceptions.raise_compiler_error(
                "The var 'as_of_date' is required for `dbt " ~ flags.WHICH ~ "`: pass the business date, e.g. "
                ~ "--vars '{as_of_date: \"2026-02-28\"}'. Every as-of model (fct_invoices, fct_ar_aging) "
                ~ "is built for that date; there is no default on purpose."
            ) }}
        {%- endif -%}
        {{- return("cast(null as date) /* as_of_date not set: compile-only placeholder */") -}}
    {%- endif -%}

    {#- YAML turns an unquoted 2026-02-28 into a date; its string form is the same ISO text. -#}
    {%- set text = value | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
        {{ exceptions.raise_compiler_error(
            "The var 'as_of_date' must be an ISO date YYYY-MM-DD, got '" ~ text ~ "'."
        ) }}
    {%- endif -%}
    {#- Jinja cannot catch a ValueError, so check the calendar by hand (2026-02-30 must not pass). -#}
    {%- set year, month, day = text.split('-') | map('int') | list -%}
    {%- set first_of_next_month = modules.datetime.date(year + (month // 12), (month % 12) + 1, 1)
        if 1 <= month <= 12 else none -%}
    {%- if first_of_next_month is none
        or not (1 <= day <= (first_of_next_month - modules.datetime.timedelta(days=1)).day) -%}
        {{ exceptions.raise_compiler_error("The var 'as_of_date' is not a calendar date: '" ~ text ~ "'.") }}
    {%- endif -%}
    {{- return("cast('" ~ text ~ "' as date)") -}}
{% endmacro %}
