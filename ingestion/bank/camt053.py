"""ISO 20022 camt.053 (bank-to-customer statement) parser, message versions 001.02 and later.

The document is streamed with lxml's `iterparse`: each child of a `<Stmt>` is handled when its end tag has been
read and is then cleared, so memory holds one entry (`<Ntry>`) at a time however long the file is. Elements are
matched by local name, so the namespace version (001.02 ... 001.13) does not matter; the namespace is only read to
reject documents that are something else (camt.052 reports, camt.054 notifications, pain.001 payment orders).

Security: a statement never needs a DTD, so any DOCTYPE is rejected before the first element is handed out, and the
parser is configured so that nothing could be fetched or expanded anyway (no entity resolution, no DTD loading, no
network, no huge-tree mode, which keeps libxml2's own limits on).

Mapping (one `StatementLine` per entry, or per transaction of a batched entry):
- Amounts are exact `Decimal`s (up to 5 decimals, as the schema allows), signed by `CdtDbtInd`. A reversal
  (`RvslInd`) is already booked in the direction its `CdtDbtInd` says, so it needs no extra sign flip.
- A batched entry (several `TxDtls`) is split into one line per transaction when every transaction states its
  amount (`TxDtls/Amt` or `TxDtls/AmtDtls/TxAmt/Amt`) and those amounts add up to the entry amount. When they do
  not (charges netted in the entry, amounts in another currency), the entry stays one line: the statement must
  still balance, and a split that does not add up would break that.
- Opening balance: `OPBD`, else `PRCD` (the previous statement's closing balance); closing balance: `CLBD`. Other
  balance types (`ITBD`, `OPAV`, `CLAV`, `FWAV`, ...) are read past without being used.
- `original_text` is the XML of the entry (of the transaction, for a split entry), cut at 4000 characters.
- Every entry becomes a line whatever its status (BOOK, PDNG, INFO): records carry no status field yet.

Lines are yielded as they are read, so an error (a truncated file, a bad amount further down) can come after some
lines were yielded: a loader must treat the file as one unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, BinaryIO

from lxml import etree

from ingestion.bank.records import StatementLine, StatementParseError, StatementSummary, StatementTotals

FILE_FORMAT = "camt053"
ORIGINAL_TEXT_LIMIT = 4000
OPENING_CODES = ("OPBD", "PRCD")  # in order of preference
CLOSING_CODE = "CLBD"
NOT_PROVIDED = "NOTPROVIDED"
PROLOG_SCAN_BYTES = 64 * 1024

# ActiveOrHistoricCurrencyAndAmount: at most 18 digits, at most 5 of them after the point, never signed.
_AMOUNT = re.compile(r"(\d+)(?:\.(\d{1,5}))?")
_MAX_AMOUNT_DIGITS = 18
_CAMT053_NAMESPACE = re.compile(r"camt\.053\.")
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")

DTD_REJECTED = "DTD/entity declarations are not allowed"

Element = Any  # lxml ships no type information; elements are duck-typed here


def parse_camt053(stream: BinaryIO, *, source_name: str = "") -> Iterator[StatementLine | StatementSummary]:
    """Parse a camt.053 document from a binary stream.

    Yields each statement's lines in file order, then that statement's `StatementSummary`, then the next statement.
    Raises `StatementParseError` (naming the line, the element and the reason) for anything that is not a
    well-formed, DTD-free camt.053 document holding at least one statement. `source_name` is accepted for
    symmetry with the other parsers; the caller names the file when it reports the error.
    """
    head = stream.read(PROLOG_SCAN_BYTES)
    _reject_doctype(head)
    context = etree.iterparse(
        _PrefixedStream(head, stream),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    depth = 0
    statement: _Statement | None = None
    statement_count = 0
    try:
        for event, element in context:
            if event == "start":
                depth += 1
                if depth == 1:
                    _check_root(element)
                elif depth == 2:
                    _check_message(element)
                elif depth == 3 and _local(element.tag) == "Stmt":
                    statement_count += 1
                    statement = _Statement(index=statement_count, line=element.sourceline)
                continue
            if depth == 4 and statement is not None:
                yield from statement.take(element)
                _release(element)
            elif depth == 3:
                if statement is not None and _local(element.tag) == "Stmt":
                    yield statement.summary()
                    statement = None
                _release(element)
            depth -= 1
    except etree.XMLSyntaxError as exc:
        raise StatementParseError(f"not well-formed XML: {exc.msg}", line=exc.lineno) from exc
    if statement_count == 0:
        raise StatementParseError(
            "the document holds no statement (<Stmt>) in <BkToCstmrStmt>", record="Document"
        )


class _PrefixedStream:
    """A read-only stream that returns `head` first, then the rest of `stream` (head was read to vet the prolog)."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = head
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size is None or size < 0:
                chunk, self._head = self._head + self._stream.read(), b""
                return chunk
            chunk, self._head = self._head[:size], self._head[size:]
            return chunk
        return self._stream.read(size)


def _reject_doctype(head: bytes) -> None:
    # A DOCTYPE can only stand before the root element, so scanning the prolog is enough; the docinfo check in
    # _check_root covers a prolog longer than the scanned head or in an encoding this byte scan cannot read.
    first_element = _FIRST_ELEMENT.search(head)
    declaration = _DOCTYPE.search(head, 0, first_element.start() if first_element else len(head))
    if declaration is not None:
        line = head.count(b"\n", 0, declaration.start()) + 1
        raise StatementParseError(DTD_REJECTED, line=line, record="DOCTYPE")


def _check_root(element: Element) -> None:
    docinfo = element.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.system_url:
        raise StatementParseError(DTD_REJECTED, line=element.sourceline, record="DOCTYPE")
    namespace, local = _split_tag(element.tag)
    if local != "Document":
        raise StatementParseError(
            f"not a camt.053 document: the root element is <{local}>", line=element.sourceline, record=local
        )
    if namespace and not _CAMT053_NAMESPACE.search(namespace):
        raise StatementParseError(
            f"not a camt.053 document: namespace {namespace}", line=element.sourceline, record="Document"
        )


def _check_message(element: Element) -> None:
    local = _local(element.tag)
    if local != "BkToCstmrStmt":
        raise StatementParseError(
            f"not a camt.053 document: <Document> holds <{local}>, expected <BkToCstmrStmt>",
            line=element.sourceline,
            record=local,
        )


def _release(element: Element) -> None:
    # Drop the finished element and the already-handled siblings before it, so the tree does not grow.
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


@dataclass(frozen=True, slots=True)
class _Balance:
    code: str
    amount: Decimal
    currency: str | None
    on: date | None


@dataclass
class _Statement:
    """What is known about the statement being read; fed its direct children one by one."""

    index: int
    line: int | None
    statement_id: str | None = None
    electronic_sequence: str | None = None
    legal_sequence: str | None = None
    account_id: str | None = None
    account_currency: str | None = None
    balances: dict[str, _Balance] = field(default_factory=dict)
    first_line_currency: str | None = None
    entry_count: int = 0
    totals: StatementTotals = field(default_factory=StatementTotals)

    @property
    def record(self) -> str:
        return f"Stmt[{self.index}]"

    def take(self, element: Element) -> Iterator[StatementLine]:
        name = _local(element.tag)
        if name == "Id":
            self.statement_id = _clean(element.text)
        elif name == "ElctrncSeqNb":
            self.electronic_sequence = _clean(element.text)
        elif name == "LglSeqNb":
            self.legal_sequence = _clean(element.text)
        elif name == "Acct":
            self.account_id = _account_id(element)
            self.account_currency = _text(element, "Ccy")
        elif name == "Bal":
            self._take_balance(element)
        elif name == "Ntry":
            self.entry_count += 1
            yield from self._entry_lines(element)

    def _take_balance(self, element: Element) -> None:
        balance_type = _find(element, "Tp", "CdOrPrtry")
        code = _text(balance_type, "Cd") or _text(balance_type, "Prtry")
        if code not in (*OPENING_CODES, CLOSING_CODE) or code in self.balances:
            return
        record = f"{self.record}/Bal[{code}]"
        amount, currency = _amount(_find(element, "Amt"), record)
        sign = _sign(element, record, allow_missing=amount == 0)
        self.balances[code] = _Balance(
            code, sign * amount, currency, _date(_find(element, "Dt"), record, "Dt")
        )

    def _entry_lines(self, entry: Element) -> Iterator[StatementLine]:
        record = f"{self.record}/Ntry[{self.entry_count}]"
        if self.account_id is None:
            raise StatementParseError(
                "entry before the account identification (Acct/Id/IBAN or Acct/Id/Othr/Id)",
                line=entry.sourceline,
                record=record,
            )
        amount, currency = _amount(_find(entry, "Amt"), record)
        sign = _sign(entry, record)
        signed = sign * amount
        currency = currency or self.account_currency
        booking_date = _date(_find(entry, "BookgDt"), record, "BookgDt")
        value_date = _date(_find(entry, "ValDt"), record, "ValDt")
        transactions = [tx for details in _children(entry, "NtryDtls") for tx in _children(details, "TxDtls")]
        entry_context = _EntryContext(
            bank_reference=_text(entry, "AcctSvcrRef"),
            bank_transaction_code=_transaction_code(_find(entry, "BkTxCd")),
            additional_info=_text(entry, "AddtlNtryInf"),
        )

        parts = _split(transactions, sign, currency, signed, record) if len(transactions) > 1 else None
        if parts is None:
            only = transactions[0] if len(transactions) == 1 else None
            yield self._line(
                signed, currency, booking_date, value_date, _details(only, sign > 0, entry_context), entry
            )
            return
        for tx, (tx_amount, tx_currency) in zip(transactions, parts, strict=True):
            details = _details(tx, tx_amount > 0 or (tx_amount == 0 and sign > 0), entry_context)
            yield self._line(tx_amount, tx_currency or currency, booking_date, value_date, details, tx)

    def _line(
        self,
        amount: Decimal,
        currency: str | None,
        booking_date: date | None,
        value_date: date | None,
        details: _Details,
        source: Element,
    ) -> StatementLine:
        assert self.account_id is not None  # checked by _entry_lines
        if self.first_line_currency is None:
            self.first_line_currency = currency
        return self.totals.add(
            StatementLine(
                statement_index=self.index,
                line_index=self.totals.line_count + 1,
                account_id=self.account_id,
                amount=amount,
                booking_date=booking_date,
                value_date=value_date,
                statement_id=self.statement_id,
                sequence_number=self.sequence_number,
                currency_code=currency,
                bank_reference=details.bank_reference,
                end_to_end_id=details.end_to_end_id,
                counterparty_name=details.counterparty_name,
                counterparty_account=details.counterparty_account,
                creditor_reference=details.creditor_reference,
                remittance_text=details.remittance_text,
                bank_transaction_code=details.bank_transaction_code,
                original_text=_serialize(source),
            )
        )

    @property
    def sequence_number(self) -> str | None:
        return self.electronic_sequence or self.legal_sequence

    def summary(self) -> StatementSummary:
        if self.account_id is None:
            raise StatementParseError(
                "statement without an account identification (Acct/Id/IBAN or Acct/Id/Othr/Id)",
                line=self.line,
                record=self.record,
            )
        opening = next((self.balances[code] for code in OPENING_CODES if code in self.balances), None)
        closing = self.balances.get(CLOSING_CODE)
        currency = (
            self.account_currency
            or (opening.currency if opening else None)
            or (closing.currency if closing else None)
            or self.first_line_currency
        )
        return StatementSummary(
            statement_index=self.index,
            file_format=FILE_FORMAT,
            account_id=self.account_id,
            statement_id=self.statement_id,
            sequence_number=self.sequence_number,
            currency_code=currency,
            opening_balance=opening.amount if opening else None,
            opening_balance_date=opening.on if opening else None,
            closing_balance=closing.amount if closing else None,
            closing_balance_date=closing.on if closing else None,
            line_count=self.totals.line_count,
            credit_total=self.totals.credit_total,
            debit_total=self.totals.debit_total,
            last_booking_date=self.totals.last_booking_date,
        )


@dataclass(frozen=True, slots=True)
class _EntryContext:
    """Entry-level values a transaction falls back on when it does not state its own."""

    bank_reference: str | None
    bank_transaction_code: str | None
    additional_info: str | None


@dataclass(frozen=True, slots=True)
class _Details:
    bank_reference: str | None = None
    end_to_end_id: str | None = None
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    creditor_reference: str | None = None
    remittance_text: str | None = None
    bank_transaction_code: str | None = None


def _split(
    transactions: list[Element],
    entry_sign: int,
    entry_currency: str | None,
    entry_amount: Decimal,
    record: str,
) -> list[tuple[Decimal, str | None]] | None:
    """The signed amount of each transaction of a batched entry, or None when the entry should stay one line."""
    parts: list[tuple[Decimal, str | None]] = []
    for number, tx in enumerate(transactions, start=1):
        amount_element = _find(tx, "Amt")
        if amount_element is None:
            # lxml elements are falsy when they have no children, so no `or` between lookups here.
            amount_element = _find(tx, "AmtDtls", "TxAmt", "Amt")
        if amount_element is None:
            return None
        tx_record = f"{record}/TxDtls[{number}]"
        amount, currency = _amount(amount_element, tx_record)
        if currency is not None and entry_currency is not None and currency != entry_currency:
            return None
        sign = _sign(tx, tx_record) if _find(tx, "CdtDbtInd") is not None else entry_sign
        parts.append((sign * amount, currency))
    if sum((amount for amount, _ in parts), Decimal(0)) != entry_amount:
        return None
    return parts


def _details(tx: Element | None, is_credit: bool, entry: _EntryContext) -> _Details:
    if tx is None:
        return _Details(
            bank_reference=entry.bank_reference,
            remittance_text=entry.additional_info,
            bank_transaction_code=entry.bank_transaction_code,
        )
    parties = _find(tx, "RltdPties")
    # The counterparty is the other side: who paid us for a credit, whom we paid for a debit.
    party_roles, account_role = (
        (("Dbtr", "UltmtDbtr"), "DbtrAcct") if is_credit else (("Cdtr", "UltmtCdtr"), "CdtrAcct")
    )
    name = next((n for role in party_roles if (n := _party_name(_find(parties, role))) is not None), None)
    end_to_end_id = _text(tx, "Refs", "EndToEndId")
    remittance = _find(tx, "RmtInf")
    unstructured = [text for el in _children(remittance, "Ustrd") if (text := _clean(el.text)) is not None]
    creditor_reference = next(
        (
            ref
            for structured in _children(remittance, "Strd")
            if (ref := _text(structured, "CdtrRefInf", "Ref")) is not None
        ),
        None,
    )
    return _Details(
        bank_reference=_text(tx, "Refs", "AcctSvcrRef") or entry.bank_reference,
        end_to_end_id=None if end_to_end_id == NOT_PROVIDED else end_to_end_id,
        counterparty_name=name,
        counterparty_account=_account_id(_find(parties, account_role)),
        creditor_reference=creditor_reference,
        remittance_text=" ".join(unstructured) or _text(tx, "AddtlTxInf") or entry.additional_info,
        bank_transaction_code=_transaction_code(_find(tx, "BkTxCd")) or entry.bank_transaction_code,
    )


def _party_name(party: Element | None) -> str | None:
    # camt.053.001.08 wraps the party in <Pty>; earlier versions put <Nm> directly under <Dbtr>/<Cdtr>.
    return _text(party, "Nm") or _text(party, "Pty", "Nm")


def _account_id(account: Element | None) -> str | None:
    return _text(account, "Id", "IBAN") or _text(account, "Id", "Othr", "Id")


def _transaction_code(code: Element | None) -> str | None:
    domain = _find(code, "Domn")
    if domain is not None:
        parts = [_text(domain, "Cd"), _text(domain, "Fmly", "Cd"), _text(domain, "Fmly", "SubFmlyCd")]
        joined = "/".join(part for part in parts if part)
        if joined:
            return joined
    return _text(code, "Prtry", "Cd")


def _amount(element: Element | None, record: str) -> tuple[Decimal, str | None]:
    if element is None:
        raise StatementParseError("amount missing", record=record, field="Amt")
    text = (element.text or "").strip()
    match = _AMOUNT.fullmatch(text)
    if match is None or len(match.group(1)) + len(match.group(2) or "") > _MAX_AMOUNT_DIGITS:
        raise StatementParseError(
            f"invalid amount {text!r} (expected digits with at most 5 decimals, e.g. 1234.56)",
            line=element.sourceline,
            record=record,
            field="Amt",
        )
    return Decimal(text), _clean(element.get("Ccy"))


def _sign(element: Element, record: str, *, allow_missing: bool = False) -> int:
    indicator_element = _find(element, "CdtDbtInd")
    indicator = _clean(indicator_element.text) if indicator_element is not None else None
    if indicator == "CRDT":
        return 1
    if indicator == "DBIT":
        return -1
    if indicator is None and allow_missing:
        return 1
    raise StatementParseError(
        f"credit/debit indicator is {indicator!r}, expected CRDT or DBIT",
        line=(indicator_element if indicator_element is not None else element).sourceline,
        record=record,
        field="CdtDbtInd",
    )


def _date(container: Element | None, record: str, name: str) -> date | None:
    """The date of a <BookgDt>/<ValDt>/<Dt> choice: <Dt> as is, or the date part of <DtTm> as the bank wrote it."""
    if container is None:
        return None
    for choice in ("Dt", "DtTm"):
        element = _find(container, choice)
        if element is None:
            continue
        text = (element.text or "").strip()
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise StatementParseError(
                f"invalid date {text!r}", line=element.sourceline, record=record, field=f"{name}/{choice}"
            ) from None
    return None


def _serialize(element: Element) -> str:
    text: str = etree.tostring(element, encoding="unicode", with_tail=False)
    return text[:ORIGINAL_TEXT_LIMIT]


def _split_tag(tag: object) -> tuple[str, str]:
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _local(tag: object) -> str:
    return _split_tag(tag)[1]


def _children(element: Element | None, name: str) -> Iterator[Element]:
    if element is None:
        return
    for child in element:
        if _local(child.tag) == name:
            yield child


def _find(element: Element | None, *path: str) -> Element | None:
    for name in path:
        if element is None:
            return None
        element = next(_children(element, name), None)
    return element


def _text(element: Element | None, *path: str) -> str | None:
    found = _find(element, *path)
    return _clean(found.text) if found is not None else None


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    stripped = text.strip()
    return stripped or None
