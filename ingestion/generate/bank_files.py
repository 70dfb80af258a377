"""Writes bank statements as the bank would deliver them: camt.053.001.02 XML for the EUR account, MT940 for USD.

Both writers stream: the header (with both balances, which camt.053 wants before the entries) is written from the
statement's totals, then one entry at a time, so no file is ever held whole in memory.

camt.053 (one `Stmt` per file):
  Stmt/Id `<IBAN>-<yyyymmdd>`, ElctrncSeqNb = LglSeqNb = the statement's number from 1; balances OPBD (dated the
  previous business day) and CLBD (the statement date); TxsSummry; one `Ntry` per booking with BookgDt = ValDt,
  AcctSvcrRef (the bank's reference), BkTxCd (ISO domain/family/sub-family) and, for transfers, one TxDtls with
  Refs/EndToEndId (the payer's reference), RltdPties (Dbtr or Cdtr name and IBAN) and RmtInf/Ustrd (for customer
  payments: the paid invoice numbers, space separated). Fees, interest and sweeps carry AddtlNtryInf instead.

MT940 (no SWIFT envelope blocks; lines end CRLF; amounts with a decimal comma, no thousands separator):
  :20: STMT<yymmdd>, :25: the account number, :28C: <statement number>/001, :60F: opening (dated the previous
  business day), then per booking
  :61: <value date yymmdd><booking date mmdd><C|D><amount><N + type code><payer reference or NONREF>//<bank reference>
  :86: /EREF/<end-to-end id>/REMI/<remittance text>/NAME/<counterparty name>  (fields that are absent are left out)
  and :62F: closing. :86: is cut into lines of at most 65 characters (as Rabobank does), never next to a space,
  so a reader joins the continuation lines with nothing between them.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TextIO
from xml.sax.saxutils import escape

from ingestion.generate.bank import (
    CARD_SETTLEMENT,
    CUSTOMER_PAYMENT,
    FEE,
    INTEREST,
    SUPPLIER_PAYMENT,
    SWEEP,
    BankEntry,
    BankStatement,
)

CAMT053_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"

# kind: (domain, family, sub-family) of the ISO 20022 bank transaction code
_CAMT_CODES = {
    CUSTOMER_PAYMENT: ("PMNT", "RCDT", "ESCT"),
    CARD_SETTLEMENT: ("PMNT", "MCRD", "POSP"),
    SUPPLIER_PAYMENT: ("PMNT", "ICDT", "ESCT"),
    FEE: ("ACMT", "MDOP", "CHRG"),
    INTEREST: ("ACMT", "MDOP", "INTR"),
    SWEEP: ("CAMT", "ACCB", "SWEP"),
}
# kind: SWIFT transaction type identification code of :61:
_MT940_CODES = {
    CUSTOMER_PAYMENT: "NTRF",
    CARD_SETTLEMENT: "NMSC",
    SUPPLIER_PAYMENT: "NTRF",
    FEE: "NCHG",
    INTEREST: "NINT",
    SWEEP: "NTRF",
}
MT940_LINE = 65
MT940_REFERENCE = 16


def statement_file_name(statement: BankStatement) -> str:
    """camt053_<IBAN>_<yyyymmdd>.xml or mt940_<account>_<yyyymmdd>.sta."""
    account = statement.account
    stamp = f"{statement.statement_date:%Y%m%d}"
    if account.file_format == "camt053":
        return f"camt053_{account.account_id}_{stamp}.xml"
    return f"mt940_{account.account_id}_{stamp}.sta"


def write_statement_file(statement: BankStatement, folder: Path) -> Path:
    """Write `statement` into `folder` in its account's format; returns the file's path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / statement_file_name(statement)
    # newline="" so that MT940's CRLF and camt's LF reach the disk exactly as written, on any platform.
    with path.open("w", encoding="utf-8", newline="") as out:
        if statement.account.file_format == "camt053":
            _write_camt053(statement, out)
        else:
            _write_mt940(statement, out)
    return path


def sha256_of(path: Path) -> str:
    """The hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# -- camt.053 -----------------------------------------------------------------------------------------------------


def _balance(code: str, amount: Decimal, currency: str, day: date) -> str:
    indicator = "CRDT" if amount >= 0 else "DBIT"
    return (
        f"      <Bal>\n"
        f"        <Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>\n"
        f'        <Amt Ccy="{currency}">{abs(amount)}</Amt>\n'
        f"        <CdtDbtInd>{indicator}</CdtDbtInd>\n"
        f"        <Dt><Dt>{day.isoformat()}</Dt></Dt>\n"
        f"      </Bal>\n"
    )


def _write_camt053(statement: BankStatement, out: TextIO) -> None:
    account = statement.account
    currency = account.currency_code
    day = statement.statement_date
    created = f"{day.isoformat()}T20:00:00+00:00"
    credits = [e.amount for e in statement.entries if e.amount > 0]
    debits = [e.amount for e in statement.entries if e.amount < 0]
    credit_sum = sum(credits, Decimal("0.00"))
    debit_sum = -sum(debits, Decimal("0.00"))
    net = credit_sum - debit_sum
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="{CAMT053_NAMESPACE}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        "  <BkToCstmrStmt>\n"
        "    <GrpHdr>\n"
        f"      <MsgId>CAMT053-{account.tag}{day:%Y%m%d}-{statement.sequence_number:05d}</MsgId>\n"
        f"      <CreDtTm>{created}</CreDtTm>\n"
        "      <MsgPgntn><PgNb>1</PgNb><LastPgInd>true</LastPgInd></MsgPgntn>\n"
        "    </GrpHdr>\n"
        "    <Stmt>\n"
        f"      <Id>{account.account_id}-{day:%Y%m%d}</Id>\n"
        f"      <ElctrncSeqNb>{statement.sequence_number}</ElctrncSeqNb>\n"
        f"      <LglSeqNb>{statement.sequence_number}</LglSeqNb>\n"
        f"      <CreDtTm>{created}</CreDtTm>\n"
        "      <FrToDt>\n"
        f"        <FrDtTm>{day.isoformat()}T00:00:00+00:00</FrDtTm>\n"
        f"        <ToDtTm>{day.isoformat()}T23:59:59+00:00</ToDtTm>\n"
        "      </FrToDt>\n"
        "      <Acct>\n"
        f"        <Id><IBAN>{account.account_id}</IBAN></Id>\n"
        f"        <Ccy>{currency}</Ccy>\n"
        f"        <Ownr><Nm>{escape(account.owner_name)}</Nm></Ownr>\n"
        f"        <Svcr><FinInstnId><BIC>{account.bic}</BIC></FinInstnId></Svcr>\n"
        "      </Acct>\n"
    )
    out.write(_balance("OPBD", statement.opening_balance, currency, statement.opening_date))
    out.write(_balance("CLBD", statement.closing_balance, currency, day))
    out.write(
        "      <TxsSummry>\n"
        f"        <TtlNtries><NbOfNtries>{len(statement.entries)}</NbOfNtries><Sum>{credit_sum + debit_sum}</Sum>"
        f"<TtlNetNtryAmt>{abs(net)}</TtlNetNtryAmt><CdtDbtInd>{'CRDT' if net >= 0 else 'DBIT'}</CdtDbtInd></TtlNtries>\n"
        f"        <TtlCdtNtries><NbOfNtries>{len(credits)}</NbOfNtries><Sum>{credit_sum}</Sum></TtlCdtNtries>\n"
        f"        <TtlDbtNtries><NbOfNtries>{len(debits)}</NbOfNtries><Sum>{debit_sum}</Sum></TtlDbtNtries>\n"
        "      </TxsSummry>\n"
    )
    for number, entry in enumerate(statement.entries, start=1):
        out.write(_camt_entry(entry, number, currency))
    out.write("    </Stmt>\n  </BkToCstmrStmt>\n</Document>\n")


def _camt_entry(entry: BankEntry, number: int, currency: str) -> str:
    credit = entry.amount > 0
    domain, family, sub_family = _CAMT_CODES[entry.kind]
    parts = [
        "      <Ntry>\n",
        f"        <NtryRef>{number}</NtryRef>\n",
        f'        <Amt Ccy="{currency}">{abs(entry.amount)}</Amt>\n',
        f"        <CdtDbtInd>{'CRDT' if credit else 'DBIT'}</CdtDbtInd>\n",
        "        <Sts>BOOK</Sts>\n",
        f"        <BookgDt><Dt>{entry.booking_date.isoformat()}</Dt></BookgDt>\n",
        f"        <ValDt><Dt>{entry.value_date.isoformat()}</Dt></ValDt>\n",
        f"        <AcctSvcrRef>{entry.bank_reference}</AcctSvcrRef>\n",
        f"        <BkTxCd><Domn><Cd>{domain}</Cd><Fmly><Cd>{family}</Cd><SubFmlyCd>{sub_family}</SubFmlyCd></Fmly>"
        "</Domn></BkTxCd>\n",
    ]
    if entry.end_to_end_id or entry.counterparty_name or entry.remittance:
        parts.append("        <NtryDtls><TxDtls>\n")
        parts.append(
            f"          <Refs><EndToEndId>{escape(entry.end_to_end_id or 'NOTPROVIDED')}</EndToEndId></Refs>\n"
        )
        if entry.counterparty_name:
            # The counterparty of a credit is the debtor (who paid us); of a debit, the creditor (whom we paid).
            party, party_account = ("Dbtr", "DbtrAcct") if credit else ("Cdtr", "CdtrAcct")
            parts.append(
                f"          <RltdPties><{party}><Nm>{escape(entry.counterparty_name)}</Nm></{party}>"
            )
            if entry.counterparty_account:
                parts.append(
                    f"<{party_account}><Id><IBAN>{entry.counterparty_account}</IBAN></Id></{party_account}>"
                )
            parts.append("</RltdPties>\n")
        if entry.remittance:
            parts.append(f"          <RmtInf><Ustrd>{escape(entry.remittance)}</Ustrd></RmtInf>\n")
        parts.append("        </TxDtls></NtryDtls>\n")
    if entry.additional_info:
        parts.append(f"        <AddtlNtryInf>{escape(entry.additional_info)}</AddtlNtryInf>\n")
    parts.append("      </Ntry>\n")
    return "".join(parts)


# -- MT940 --------------------------------------------------------------------------------------------------------


def mt940_amount(amount: Decimal) -> str:
    """'1234,50' for Decimal('1234.50') or Decimal('-1234.50'): the sign goes into the C/D mark."""
    return str(abs(amount)).replace(".", ",")


def _mt940_balance(tag: str, amount: Decimal, currency: str, day: date) -> str:
    mark = "C" if amount >= 0 else "D"
    return f":{tag}:{mark}{day:%y%m%d}{currency}{mt940_amount(amount)}\r\n"


def mt940_details(entry: BankEntry) -> str:
    """The content of an entry's :86: field, lines joined by CRLF (see the module doc for the layout)."""
    fields = []
    if entry.end_to_end_id:
        fields.append(f"/EREF/{entry.end_to_end_id}")
    text = entry.remittance or entry.additional_info
    if text:
        fields.append(f"/REMI/{text}")
    if entry.counterparty_name:
        fields.append(f"/NAME/{entry.counterparty_name}")
    details = "".join(fields)
    lines = []
    while len(details) > MT940_LINE:
        # Never cut next to a space: readers that strip lines would lose it. Cutting inside a word is safe
        # because the lines are joined with nothing between them.
        cut = MT940_LINE
        while cut > 1 and (details[cut - 1] == " " or details[cut] == " "):
            cut -= 1
        lines.append(details[:cut])
        details = details[cut:]
    lines.append(details)
    return "\r\n".join(lines)


def _write_mt940(statement: BankStatement, out: TextIO) -> None:
    account = statement.account
    currency = account.currency_code
    day = statement.statement_date
    out.write(f":20:STMT{day:%y%m%d}\r\n")
    out.write(f":25:{account.account_id}\r\n")
    out.write(f":28C:{statement.sequence_number:05d}/001\r\n")
    out.write(_mt940_balance("60F", statement.opening_balance, currency, statement.opening_date))
    for entry in statement.entries:
        mark = "C" if entry.amount > 0 else "D"
        reference = entry.end_to_end_id or "NONREF"
        if len(reference) > MT940_REFERENCE:
            reference = "NONREF"
        out.write(
            f":61:{entry.value_date:%y%m%d}{entry.booking_date:%m%d}{mark}{mt940_amount(entry.amount)}"
            f"{_MT940_CODES[entry.kind]}{reference}//{entry.bank_reference}\r\n"
        )
        out.write(f":86:{mt940_details(entry)}\r\n")
    out.write(_mt940_balance("62F", statement.closing_balance, currency, day))
