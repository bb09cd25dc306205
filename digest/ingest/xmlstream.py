"""Streaming, defensive XML reading for feeds: entries come out one by one as small ElementTree
elements while the document is still being read, and anything DTD-related is refused so no entity
expansion (billion laughs, external entities) can ever happen."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers import expat

from digest.ingest.errors import IngestError

CHUNK = 64 * 1024


class XMLBroken(Exception):
    """The document stops being well-formed at `line`; entries before it were already yielded."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


class XMLDocument:
    """Yields `(line, element)` for every element whose tag is in `tags`; `root` is the document
    element's tag once reading has started."""

    def __init__(self, stream: BinaryIO, tags: set[str]) -> None:
        self.stream = stream
        self.tags = tags
        self.root: str | None = None
        self._builder: TreeBuilder | None = None
        self._depth = 0
        self._start_line = 0
        self._done: list[tuple[int, Element]] = []
        self._parser = expat.ParserCreate(namespace_separator="}")
        self._parser.buffer_text = True
        self._parser.StartDoctypeDeclHandler = self._refuse_dtd
        self._parser.EntityDeclHandler = self._refuse_entity
        self._parser.ExternalEntityRefHandler = self._refuse_entity
        self._parser.StartElementHandler = self._start
        self._parser.EndElementHandler = self._end
        self._parser.CharacterDataHandler = self._data

    @staticmethod
    def _name(raw: str) -> str:
        # expat gives "uri}local"; ElementTree's convention is "{uri}local".
        return "{" + raw if "}" in raw else raw

    def _refuse_dtd(self, *args: object) -> None:
        raise IngestError("XML with a document type declaration (<!DOCTYPE>) is refused for safety")

    def _refuse_entity(self, *args: object) -> int:
        raise IngestError("XML entity declarations are refused for safety")

    def _start(self, raw: str, attrs: dict[str, str]) -> None:
        tag = self._name(raw)
        if self.root is None:
            self.root = tag
        if self._builder is None and tag in self.tags:
            self._builder = TreeBuilder()
            self._depth = 0
            self._start_line = self._parser.CurrentLineNumber
        if self._builder is not None:
            self._depth += 1
            self._builder.start(tag, {self._name(k): v for k, v in attrs.items()})

    def _end(self, raw: str) -> None:
        if self._builder is None:
            return
        self._builder.end(self._name(raw))
        self._depth -= 1
        if self._depth == 0:
            self._done.append((self._start_line, self._builder.close()))
            self._builder = None

    def _data(self, text: str) -> None:
        if self._builder is not None:
            self._builder.data(text)

    def __iter__(self) -> Iterator[tuple[int, Element]]:
        try:
            while True:
                chunk = self.stream.read(CHUNK)
                self._parser.Parse(chunk, not chunk)
                yield from self._done
                self._done.clear()
                if not chunk:
                    return
        except expat.ExpatError as error:
            yield from self._done
            raise XMLBroken(error.lineno, expat.ErrorString(error.code)) from None


def text_of(element: Element | None) -> str | None:
    if element is None:
        return None
    return "".join(element.itertext())
