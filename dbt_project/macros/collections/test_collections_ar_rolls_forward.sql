{#
    collections_ar_rolls_forward: on every row of a collections mart, the receivable rolls forward,

        opening_ar_amount + credit_sales_amount - cash_collected_amount - credit_note_amount - write_off_amount
            = ending_ar_amount

    The flows come from int_invoice_movements_unioned and the receivable from int_invoice_balances_accumulated,
    so this holds as long as both date a movement the same way (a movement dated before its invoice counts from
    the invoice date). It fails when either side changes that rule alone. Returns the rows that do not roll forward.

        data_tests:
          - collections_ar_rolls_forward
#}
{% test collections_ar_rolls_forward(model) %}
    select *
    from {{ model }}
    where opening_ar_amount + credit_sales_amount - cash_collected_amount - credit_note_amount - write_off_amount
        <> ending_ar_amount
{% endtest %}
