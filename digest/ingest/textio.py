"""Reading text input line by line without ever holding the whole file."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import BinaryIO

# Bad bytes become lone surrogates, so the one record holding them is rejected, not the file.
ERRORS = "surrogateescape"


def numbered_lines(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    """(1-based line number, decoded line without its line ending)."""
    for number, raw in enumerate(stream, start=1):
        line = raw.decode("utf-8", ERRORS)
        if number == 1 and line.startswith(codecs.BOM_UTF8.decode()):
            line = line[1:]
        yield number, line.rstrip("\r\n")


def paragraphs(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    """(line number of its first line, text) for each blank-line separated paragraph."""
    start = 0
    buffer: list[str] = []
    for number, line in numbered_lines(stream):
        if line.strip():
            if not buffer:
                start = number
            buffer.append(line)
        elif buffer:
            yield start, "\n".join(buffer).strip()
            buffer = []
    if buffer:
        yield start, "\n".join(buffer).strip()
