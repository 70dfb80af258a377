"""ISO 20022 camt.053 (bank-to-customer statement) parser, message versions 001.02 and later.

The document is streamed with lxml's `iterparse`, asked (in C) only for the elements this module acts on:
`<Stmt>` and its children `<Acct>`, `<Bal>` and `<Ntry>`. Each of those is handled when its end tag has been read
and is then cleared, so memory holds one entry at a time however long the file is. Every element of a camt.053
document is in the namespace of its root, whichever message version that is (001.02 ... 001.13), so the parser
reads that namespace once and looks children up by their qualified names; the namespace is also checked to reject
documents that are something else (camt.052 reports, camt.054 notifications, pain.001 payment orders). A document
without a namespace is read the same way, by bare names.

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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, BinaryIO, NamedTuple

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
        tag=_WATCHED,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    names: _Names | None = None
    statement: _Statement | None = None
    statement_count = 0
    try:
        for event, element in context:
            if names is None:
                names = _document_names(element.getroottree().getroot())
            if event == "start":
                if statement is None and _is_statement(element, names):
                    statement_count += 1
                    statement = _Statement(names, element, index=statement_count, line=element.sourceline)
                continue
            if statement is None:
                continue
            if element is statement.element:
                statement.read_header(element.iterchildren())
                yield statement.summary()
                statement = None
                _release(element)
            elif element.getparent() is statement.element:
                statement.read_header(reversed(list(element.itersiblings(preceding=True))))
                yield from statement.take(element)
                _release(element)
    except etree.XMLSyntaxError as exc:
        raise StatementParseError(f"not well-formed XML: {exc.msg}", line=exc.lineno) from exc
    if names is None and context.root is not None:
        # None of the watched elements came by: still say what the document is, when it is not a camt.053.
        _document_names(context.root)
    if statement_count == 0:
        raise StatementParseError(
            "the document holds no statement (<Stmt>) in <BkToCstmrStmt>", record="Document"
        )


# The elements iterparse reports (in any namespace; _is_statement and the parent check narrow them down).
_WATCHED = ("{*}Stmt", "{*}Acct", "{*}Bal", "{*}Ntry")

_TAG_NAMES = (
    "Acct", "AcctSvcrRef", "AddtlNtryInf", "AddtlTxInf", "Amt", "AmtDtls", "Bal", "BkToCstmrStmt", "BkTxCd",
    "BookgDt", "Cd", "CdOrPrtry", "CdtDbtInd", "Cdtr", "CdtrAcct", "CdtrRefInf", "Ccy", "Dbtr", "DbtrAcct",
    "Domn", "Dt", "DtTm", "ElctrncSeqNb", "EndToEndId", "Fmly", "IBAN", "Id", "LglSeqNb", "Nm", "Ntry",
    "NtryDtls", "Othr", "Prtry", "Pty", "Ref", "Refs", "RltdPties", "RmtInf", "Stmt", "Strd", "SubFmlyCd", "Tp",
    "TxAmt", "TxDtls", "UltmtCdtr", "UltmtDbtr", "Ustrd", "ValDt",
)  # fmt: skip


class _Names:
    """The qualified tag of every element this module reads, in one document's namespace: `names.Amt` is
    `{urn:iso:std:iso:20022:tech:xsd:camt.053.001.02}Amt` in a 001.02 document, `Amt` in one without a namespace.
    """

    def __init__(self, namespace: str) -> None:
        prefix = f"{{{namespace}}}" if namespace else ""
        for name in _TAG_NAMES:
            setattr(self, name, prefix + name)

    def __getattr__(self, name: str) -> str:  # only reached for a name missing from _TAG_NAMES
        raise AttributeError(f"_Names has no tag {name!r}: add it to _TAG_NAMES")


def _document_names(root: Element) -> _Names:
    """Check that the document is a camt.053 statement message (root and message element) and name its tags."""
    _check_root(root)
    if len(root):
        _check_message(root[0])
    return _Names(_split_tag(root.tag)[0])


def _is_statement(element: Element, names: _Names) -> bool:
    """A <Stmt> directly under the message element under the root (where the old depth-3 rule found it)."""
    if element.tag != names.Stmt:
        return False
    message = element.getparent()
    return message is not None and message.getparent() is not None and message.getparent().getparent() is None


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
    """What is known about the statement being read; fed its direct children as they end."""

    n: _Names
    element: Element  # the <Stmt>, held so that its children can be told by their parent
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

    def read_header(self, children: Iterable[Element]) -> None:
        """Take the statement's own fields (<Id>, <ElctrncSeqNb>, <LglSeqNb>) from children not yet read.

        They are not among the elements iterparse reports, so they are read from the <Stmt> when the next
        reported child ends (or the <Stmt> itself): by then they are parsed and not yet released.
        """
        n = self.n
        for child in children:
            tag = child.tag
            if tag == n.Id:
                self.statement_id = _clean(child.text)
            elif tag == n.ElctrncSeqNb:
                self.electronic_sequence = _clean(child.text)
            elif tag == n.LglSeqNb:
                self.legal_sequence = _clean(child.text)

    def take(self, element: Element) -> Iterator[StatementLine]:
        tag, n = element.tag, self.n
        if tag == n.Ntry:
            self.entry_count += 1
            yield from self._entry_lines(element)
        elif tag == n.Bal:
            self._take_balance(element)
        elif tag == n.Acct:
            self.account_id = _account_id(element, n)
            self.account_currency = _text(_find(element, n.Ccy))

    def _take_balance(self, element: Element) -> None:
        n = self.n
        balance_type = _find(element, n.Tp, n.CdOrPrtry)
        code = _text(_find(balance_type, n.Cd)) or _text(_find(balance_type, n.Prtry))
        if code not in (*OPENING_CODES, CLOSING_CODE) or code in self.balances:
            return
        record = f"{self.record}/Bal[{code}]"
        amount, currency = _amount(_find(element, n.Amt), record)
        sign = _sign(_find(element, n.CdtDbtInd), element, record, allow_missing=amount == 0)
        self.balances[code] = _Balance(
            code, sign * amount, currency, _date(_find(element, n.Dt), n, record, "Dt")
        )

    def _entry_lines(self, entry: Element) -> Iterator[StatementLine]:
        n = self.n
        record = f"Stmt[{self.index}]/Ntry[{self.entry_count}]"
        if self.account_id is None:
            raise StatementParseError(
                "entry before the account identification (Acct/Id/IBAN or Acct/Id/Othr/Id)",
                line=entry.sourceline,
                record=record,
            )
        # This runs once per entry of every statement: look-ups go through one dict of the entry's children, and
        # the entry-level fallbacks (reference, code, information) are only read when a transaction lacks its own.
        kids = _first_children(entry)
        amount, currency = _amount(kids.get(n.Amt), record)
        sign = _sign(kids.get(n.CdtDbtInd), entry, record)
        signed = sign * amount
        currency = currency or self.account_currency
        booking_date = _date(kids.get(n.BookgDt), n, record, "BookgDt")
        value_date = _date(kids.get(n.ValDt), n, record, "ValDt")
        transactions = [
            tx for details in entry.iterchildren(n.NtryDtls) for tx in details.iterchildren(n.TxDtls)
        ]

        parts = _split(transactions, n, sign, currency, signed, record) if len(transactions) > 1 else None
        if parts is None:
            only = transactions[0] if len(transactions) == 1 else None
            yield self._line(
                signed, currency, booking_date, value_date, _details(only, n, sign > 0, kids), entry
            )
            return
        for tx, (tx_amount, tx_currency) in zip(transactions, parts, strict=True):
            details = _details(tx, n, tx_amount > 0 or (tx_amount == 0 and sign > 0), kids)
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


class _Details(NamedTuple):  # a NamedTuple: built once per line, and cheaper to build than a frozen dataclass
    bank_reference: str | None = None
    end_to_end_id: str | None = None
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    creditor_reference: str | None = None
    remittance_text: str | None = None
    bank_transaction_code: str | None = None


def _split(
    transactions: list[Element],
    n: _Names,
    entry_sign: int,
    entry_currency: str | None,
    entry_amount: Decimal,
    record: str,
) -> list[tuple[Decimal, str | None]] | None:
    """The signed amount of each transaction of a batched entry, or None when the entry should stay one line."""
    parts: list[tuple[Decimal, str | None]] = []
    for number, tx in enumerate(transactions, start=1):
        amount_element = _find(tx, n.Amt)
        if amount_element is None:
            # lxml elements are falsy when they have no children, so no `or` between lookups here.
            amount_element = _find(tx, n.AmtDtls, n.TxAmt, n.Amt)
        if amount_element is None:
            return None
        tx_record = f"{record}/TxDtls[{number}]"
        amount, currency = _amount(amount_element, tx_record)
        if currency is not None and entry_currency is not None and currency != entry_currency:
            return None
        indicator = _find(tx, n.CdtDbtInd)
        sign = _sign(indicator, tx, tx_record) if indicator is not None else entry_sign
        parts.append((sign * amount, currency))
    if sum((amount for amount, _ in parts), Decimal(0)) != entry_amount:
        return None
    return parts


def _details(tx: Element | None, n: _Names, is_credit: bool, entry: dict[str, Element]) -> _Details:
    """A line's references, counterparty and remittance: from the transaction `tx`, falling back on the entry
    (`entry`: its children by tag) for what the transaction does not state; from the entry alone without one."""
    if tx is None:
        return _Details(
            bank_reference=_text(entry.get(n.AcctSvcrRef)),
            remittance_text=_text(entry.get(n.AddtlNtryInf)),
            bank_transaction_code=_transaction_code(entry.get(n.BkTxCd), n),
        )
    kids = _first_children(tx)
    bank_reference = end_to_end_id = name = account = None
    refs = kids.get(n.Refs)
    if refs is not None:
        ref_kids = _first_children(refs)
        bank_reference = _text(ref_kids.get(n.AcctSvcrRef))
        end_to_end_id = _text(ref_kids.get(n.EndToEndId))
        if end_to_end_id == NOT_PROVIDED:
            end_to_end_id = None
    parties = kids.get(n.RltdPties)
    if parties is not None:
        party_kids = _first_children(parties)
        # The counterparty is the other side: who paid us for a credit, whom we paid for a debit.
        if is_credit:
            name = _party_name(party_kids.get(n.Dbtr), n) or _party_name(party_kids.get(n.UltmtDbtr), n)
            account = _account_id(party_kids.get(n.DbtrAcct), n)
        else:
            name = _party_name(party_kids.get(n.Cdtr), n) or _party_name(party_kids.get(n.UltmtCdtr), n)
            account = _account_id(party_kids.get(n.CdtrAcct), n)
    remittance_text = creditor_reference = None
    remittance = kids.get(n.RmtInf)
    if remittance is not None:
        unstructured = []
        for child in remittance:
            tag = child.tag
            if tag == n.Ustrd:
                if (text := _clean(child.text)) is not None:
                    unstructured.append(text)
            elif tag == n.Strd and creditor_reference is None:
                creditor_reference = _text(_find(child, n.CdtrRefInf, n.Ref))
        remittance_text = " ".join(unstructured) or None
    return _Details(
        bank_reference or _text(entry.get(n.AcctSvcrRef)),
        end_to_end_id,
        name,
        account,
        creditor_reference,
        remittance_text or _text(kids.get(n.AddtlTxInf)) or _text(entry.get(n.AddtlNtryInf)),
        _transaction_code(kids.get(n.BkTxCd), n) or _transaction_code(entry.get(n.BkTxCd), n),
    )


def _party_name(party: Element | None, n: _Names) -> str | None:
    # camt.053.001.08 wraps the party in <Pty>; earlier versions put <Nm> directly under <Dbtr>/<Cdtr>.
    if party is None:
        return None
    return _text(_find(party, n.Nm)) or _text(_find(party, n.Pty, n.Nm))


def _account_id(account: Element | None, n: _Names) -> str | None:
    identification = _find(account, n.Id)
    if identification is None:
        return None
    return _text(_find(identification, n.IBAN)) or _text(_find(identification, n.Othr, n.Id))


def _transaction_code(code: Element | None, n: _Names) -> str | None:
    """Domain/family/sub-family (`PMNT/RCDT/ESCT`) when the bank gives the ISO code, else its proprietary code."""
    if code is None:
        return None
    kids = _first_children(code)
    domain = kids.get(n.Domn)
    if domain is not None:
        domain_kids = _first_children(domain)
        family = domain_kids.get(n.Fmly)
        family_kids = _first_children(family) if family is not None else {}
        parts = (
            _text(domain_kids.get(n.Cd)),
            _text(family_kids.get(n.Cd)),
            _text(family_kids.get(n.SubFmlyCd)),
        )
        joined = "/".join(part for part in parts if part)
        if joined:
            return joined
    return _text(_find(kids.get(n.Prtry), n.Cd))


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


def _sign(
    indicator_element: Element | None, owner: Element, record: str, *, allow_missing: bool = False
) -> int:
    """+1 or -1 from the <CdtDbtInd> of `owner` (an entry, transaction or balance)."""
    indicator = _clean(indicator_element.text) if indicator_element is not None else None
    if indicator == "CRDT":
        return 1
    if indicator == "DBIT":
        return -1
    if indicator is None and allow_missing:
        return 1
    raise StatementParseError(
        f"credit/debit indicator is {indicator!r}, expected CRDT or DBIT",
        line=(indicator_element if indicator_element is not None else owner).sourceline,
        record=record,
        field="CdtDbtInd",
    )


def _date(container: Element | None, n: _Names, record: str, name: str) -> date | None:
    """The date of a <BookgDt>/<ValDt>/<Dt> choice: <Dt> as is, or the date part of <DtTm> as the bank wrote it."""
    if container is None:
        return None
    element = None
    for child in container:
        tag = child.tag
        if tag == n.Dt:
            element = child
            break
        if tag == n.DtTm and element is None:
            element = child
    if element is None:
        return None
    text = (element.text or "").strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        choice = "Dt" if element.tag == n.Dt else "DtTm"
        raise StatementParseError(
            f"invalid date {text!r}", line=element.sourceline, record=record, field=f"{name}/{choice}"
        ) from None


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


def _first_children(element: Element) -> dict[str, Element]:
    """Each child tag of `element` mapped to its first child of that tag (one pass for many look-ups)."""
    return {child.tag: child for child in reversed(element)}


def _find(element: Element | None, *path: str) -> Element | None:
    """The first child named path[0], then its first child named path[1], ...; qualified tags (see _Names)."""
    for tag in path:
        if element is None:
            return None
        for child in element:
            if child.tag == tag:
                element = child
                break
        else:
            return None
    return element


def _text(element: Element | None) -> str | None:
    """The element's text, stripped; None for no element or a blank one. Reach it with _find for a path."""
    return None if element is None else _clean(element.text)


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    stripped = text.strip()
    return stripped or None
