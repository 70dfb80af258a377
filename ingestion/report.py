"""The auditor's report for one business date: a self-contained HTML page, and the same mismatches as CSV and XLSX.

`arwh report --date DATE --out DIR` writes DIR/report_<date>.html (no external file, font or script: it opens
from a USB stick or an e-mail), DIR/mismatches_<date>.csv and DIR/mismatches_<date>.xlsx. It reads what the run
for the date left in the warehouse: the reconciliation marts (built for the date), the check results recorded
for it, and the aging snapshot. Money is formatted from Decimals, never through floats; the bar charts are SVG
drawn here, scaled by the figures they show.
"""

from __future__ import annotations

import csv
import html
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ingestion import warehouse

MISMATCH_COLUMNS = (
    "kind", "status", "customer_id", "date", "reference", "ledger_amount", "outside_amount", "difference_amount",
    "currency_code", "evidence",
)  # fmt: skip


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    csv: Path
    xlsx: Path
    summary: dict[str, Any]


def write_report(as_of: date, out: Path, url: str | None = None) -> ReportFiles:
    """Write the report files for `as_of` into `out` (created when missing); returns their paths and figures."""
    out.mkdir(parents=True, exist_ok=True)
    with warehouse.connect(url) as conn:
        data = _read(conn, as_of)
    mismatches = data["statement_rows"] + data["bank_rows"]
    html_path = out / f"report_{as_of.isoformat()}.html"
    html_path.write_text(_html(as_of, data), encoding="utf-8")
    csv_path = out / f"mismatches_{as_of.isoformat()}.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(MISMATCH_COLUMNS)
        writer.writerows([_text(v) for v in row] for row in mismatches)
    xlsx_path = out / f"mismatches_{as_of.isoformat()}.xlsx"
    _xlsx(xlsx_path, mismatches, data["checks"])
    return ReportFiles(html_path, csv_path, xlsx_path, data["summary"])


def _exists(conn: Any, relation: str) -> bool:
    row = conn.execute("select to_regclass(%s)", (relation,)).fetchone()
    return bool(row and row[0])


def _read(conn: Any, as_of: date) -> dict[str, Any]:
    statement_rows: list[tuple[Any, ...]] = []
    statements = (0, 0)
    if _exists(conn, "marts.fct_statement_reconciliation"):
        statement_rows = conn.execute(
            """select 'customer statement', r.status, r.customer_id, r.statement_date, r.document_ref, r.ledger_amount,
                      r.statement_amount, r.difference_amount, r.currency_code,
                      coalesce(f.file_name, r.statement_file_sha256) || coalesce(' line ' || r.statement_line_numbers, '')
                 from marts.fct_statement_reconciliation r
                 left join audit.files f on f.source = 'statements' and f.file_sha256 = r.statement_file_sha256
                where r.is_unexplained
                order by r.customer_id, r.statement_date, r.document_key"""
        ).fetchall()
    if _exists(conn, "marts.rpt_statement_balance_reconciliation"):
        row = conn.execute(
            "select count(*), count(*) filter (where not is_reconciled) from marts.rpt_statement_balance_reconciliation"
        ).fetchone()
        statements = (row[0], row[1]) if row else (0, 0)
    bank_rows: list[tuple[Any, ...]] = []
    bank_counts: dict[str, tuple[int, Decimal]] = {}
    unapplied_ages: list[tuple[int, Decimal]] = []
    if _exists(conn, "marts.fct_bank_reconciliation"):
        bank_rows = conn.execute(
            """select 'bank', b.status, b.customer_id, coalesce(b.bank_booking_date, b.payment_date),
                      coalesce(b.bank_end_to_end_id, b.payment_reference, b.payment_id), b.payment_amount,
                      b.bank_amount, b.difference_amount, b.currency_code,
                      concat_ws('; ', 'payment ' || b.payment_id, f.file_name, 'account ' || b.bank_account_id)
                 from marts.fct_bank_reconciliation b
                 left join audit.files f on f.source = 'bank' and f.file_sha256 = b.bank_file_sha256
                where b.is_unexplained
                order by b.status, b.reconciliation_key"""
        ).fetchall()
        bank_counts = {
            status: (count, amount)
            for status, count, amount in conn.execute(
                """select status, count(*), coalesce(sum(abs(difference_amount)), 0)
                     from marts.fct_bank_reconciliation group by status"""
            ).fetchall()
        }
        unapplied_ages = conn.execute(
            "select days_unapplied, bank_amount from marts.fct_bank_reconciliation where status = 'UNAPPLIED_CASH'"
        ).fetchall()
    aging: list[tuple[str, Decimal]] = []
    if _exists(conn, "marts.fct_ar_aging"):
        aging = conn.execute(
            """select aging_bucket, coalesce(sum(open_amount_functional), 0)
                 from marts.fct_ar_aging where as_of_date = %s
                group by aging_bucket, aging_bucket_sort_order order by aging_bucket_sort_order""",
            (as_of,),
        ).fetchall()
    checks = conn.execute(
        """select distinct on (suite_name, check_name) suite_name, check_name, table_name, success,
                  unexpected_count, unexpected_amount
             from audit.check_results where as_of_date = %s
            order by suite_name, check_name, checked_at desc""",
        (as_of,),
    ).fetchall()
    unexplained_total = sum((abs(r[7]) for r in statement_rows), Decimal(0))
    summary = {
        "as_of_date": as_of.isoformat(),
        "statements": statements[0],
        "statements_not_reconciled": statements[1],
        "statement_items_unexplained": len(statement_rows),
        "statement_unexplained_amount": unexplained_total,
        "bank_matched": bank_counts.get("MATCHED", (0, Decimal(0)))[0],
        "unapplied_cash_count": bank_counts.get("UNAPPLIED_CASH", (0, Decimal(0)))[0],
        "unapplied_cash_amount": bank_counts.get("UNAPPLIED_CASH", (0, Decimal(0)))[1],
        "not_banked_unexplained": sum(1 for r in bank_rows if r[1] == "NOT_BANKED"),
        "checks_passed": sum(1 for c in checks if c[3]),
        "checks_failed": sum(1 for c in checks if not c[3]),
    }
    return {
        "summary": summary,
        "statement_rows": statement_rows,
        "bank_rows": bank_rows,
        "checks": checks,
        "aging": aging,
        "by_customer": _by_customer(statement_rows),
        "unapplied_by_age": _by_age(unapplied_ages),
    }


def _by_customer(rows: list[tuple[Any, ...]]) -> list[tuple[str, Decimal]]:
    totals: dict[str, Decimal] = {}
    for row in rows:
        totals[row[2]] = totals.get(row[2], Decimal(0)) + abs(row[7])
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:15]


AGE_BANDS = ((0, 5, "0-5 days"), (6, 15, "6-15 days"), (16, 30, "16-30 days"), (31, None, "over 30 days"))


def _by_age(rows: list[tuple[int, Decimal]]) -> list[tuple[str, Decimal]]:
    bands = []
    for low, high, label in AGE_BANDS:
        total = sum(
            (
                amount
                for days, amount in rows
                if days is not None and days >= low and (high is None or days <= high)
            ),
            Decimal(0),
        )
        bands.append((label, total))
    return bands


def _money(value: Any) -> str:
    if value is None:
        return ""
    return f"{Decimal(value):,.2f}"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def _bars(title: str, items: list[tuple[str, Decimal]], element_id: str) -> str:
    """A horizontal bar chart in SVG: one bar per item, its length in proportion to the largest amount."""
    width, label_width, row_height = 640, 170, 24
    largest = max((abs(amount) for _, amount in items), default=Decimal(0))
    rows = []
    for index, (label, amount) in enumerate(items):
        y = index * row_height
        length = int((abs(amount) / largest) * (width - label_width - 110)) if largest else 0
        rows.append(
            f'<text x="0" y="{y + 16}" font-size="12">{html.escape(str(label))}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{length}" height="16" fill="#3b6ea5"></rect>'
            f'<text x="{label_width + length + 6}" y="{y + 16}" font-size="12">{_money(amount)}</text>'
        )
    height = max(row_height * len(items), row_height)
    body = "".join(rows) if items else '<text x="0" y="16" font-size="12">nothing to show</text>'
    return (
        f'<figure id="{element_id}"><figcaption>{html.escape(title)}</figcaption>'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{html.escape(title)}">{body}</svg></figure>'
    )


def _table(element_id: str, header: tuple[str, ...], rows: list[tuple[Any, ...]], money: set[int]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{_money(v)}</td>' if i in money else f"<td>{html.escape(_text(v))}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    if not rows:
        body = f'<tr><td colspan="{len(header)}">none</td></tr>'
    return f'<table id="{element_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; margin-top: 0.5em; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.figures td:first-child { font-weight: bold; }
.failed { color: #a40000; font-weight: bold; } .passed { color: #2a6b2a; }
figure { margin: 1em 0; } figcaption { font-weight: bold; margin-bottom: 0.3em; }
"""


def _html(as_of: date, data: dict[str, Any]) -> str:
    s = data["summary"]
    figures = [
        (
            "Customer statements reconciled",
            f"{s['statements'] - s['statements_not_reconciled']} of {s['statements']}",
        ),
        ("Unexplained statement items", str(s["statement_items_unexplained"])),
        ("Unexplained statement differences", _money(s["statement_unexplained_amount"])),
        ("Bank credits matched to ERP payments", str(s["bank_matched"])),
        ("Unapplied cash", f"{s['unapplied_cash_count']} credits, {_money(s['unapplied_cash_amount'])}"),
        ("ERP payments not banked after the window", str(s["not_banked_unexplained"])),
        ("Checks passed / failed", f"{s['checks_passed']} / {s['checks_failed']}"),
    ]
    figure_rows = "".join(
        f'<tr><td>{html.escape(k)}</td><td class="num" data-figure="{i}">{html.escape(v)}</td></tr>'
        for i, (k, v) in enumerate(figures)
    )
    checks = [(c[0], c[1], c[2], "passed" if c[3] else "FAILED", c[4], c[5]) for c in data["checks"]]
    check_rows = (
        "".join(
            f"<tr><td>{html.escape(c[0])}</td><td>{html.escape(c[1])}</td><td>{html.escape(_text(c[2]))}</td>"
            f'<td class="{"passed" if c[3] == "passed" else "failed"}">{c[3]}</td>'
            f'<td class="num">{_text(c[4])}</td><td class="num">{_money(c[5])}</td></tr>'
            for c in checks
        )
        or '<tr><td colspan="6">no check recorded for this date</td></tr>'
    )
    header = ("status", "customer", "date", "reference", "ledger / ERP", "customer / bank", "difference",
              "currency", "evidence")  # fmt: skip
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Receivables reconciliation {as_of.isoformat()}</title>
<style>{STYLE}</style></head>
<body>
<h1>Receivables reconciliation as of {as_of.isoformat()}</h1>
<h2>Summary</h2>
<table class="figures" id="summary">{figure_rows}</table>
<h2>Customer statements: unexplained differences</h2>
{_table("statement-mismatches", header, [r[1:] for r in data["statement_rows"]], {4, 5, 6})}
<h2>Bank: unexplained items</h2>
{_table("bank-mismatches", header, [r[1:] for r in data["bank_rows"]], {4, 5, 6})}
<h2>Checks</h2>
<table id="checks"><thead><tr><th>suite</th><th>check</th><th>table</th><th>result</th><th>offending rows</th>
<th>amount at stake</th></tr></thead><tbody>{check_rows}</tbody></table>
<h2>Charts</h2>
{_bars("Aging distribution (functional currency)", data["aging"], "chart-aging")}
{_bars("Unexplained statement differences by customer", data["by_customer"], "chart-by-customer")}
{_bars("Unapplied cash by age", data["unapplied_by_age"], "chart-unapplied")}
</body></html>
"""


def _xlsx(path: Path, mismatches: list[tuple[Any, ...]], checks: list[tuple[Any, ...]]) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "mismatches"
    sheet.append(list(MISMATCH_COLUMNS))
    for row in mismatches:
        # Amounts as numbers with two decimals shown (the cell keeps the Decimal's value), the rest as text.
        sheet.append([v if isinstance(v, Decimal) else _text(v) for v in row])
        for cell in sheet[sheet.max_row][5:8]:
            cell.number_format = "#,##0.00"
    checks_sheet = workbook.create_sheet("checks")
    checks_sheet.append(["suite", "check", "table", "success", "offending rows", "amount at stake"])
    for c in checks:
        checks_sheet.append([c[0], c[1], c[2], bool(c[3]), c[4], c[5]])
    workbook.save(path)
