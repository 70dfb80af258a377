"""Physical lines of a text-based statement file (MT940, BAI2), read in chunks so memory stays flat."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from ingestion.bank.records import StatementParseError

READ_CHUNK_BYTES = 64 * 1024
_NEWLINE = re.compile(rb"\r\n|\r|\n")


def physical_lines(stream: BinaryIO, *, max_line_bytes: int, what: str) -> Iterator[bytes]:
    """Yield the lines of `stream` without their line ends (CRLF, CR or LF, mixed), as bytes.

    A line longer than `max_line_bytes` means the file is not of the expected kind (`what` names it in the error):
    refusing it keeps a binary or one-line file from being buffered whole.
    """
    for block in physical_line_blocks(stream, max_line_bytes=max_line_bytes, what=what):
        yield from block


def physical_line_blocks(stream: BinaryIO, *, max_line_bytes: int, what: str) -> Iterator[list[bytes]]:
    """The lines of `stream` as `physical_lines` splits them, a list per read (about READ_CHUNK_BYTES of lines),
    for parsers that decode and clean many lines in one call. No list is empty."""
    pending = b""
    while True:
        chunk = stream.read(READ_CHUNK_BYTES)
        if not chunk:
            break
        data = pending + chunk
        carry = b""
        if data.endswith(b"\r"):
            # Maybe the first half of a CRLF split between two reads: decide when the next read comes.
            data, carry = data[:-1], b"\r"
        parts = _NEWLINE.split(data)
        pending = parts.pop() + carry
        if len(pending) > max_line_bytes:
            raise StatementParseError(f"line longer than {max_line_bytes} bytes: not {what}")
        if parts:
            yield parts
    if pending.rstrip(b"\r"):
        yield [pending.rstrip(b"\r")]
