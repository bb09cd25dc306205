"""The forked parser process: its items arrive in order, its errors are raised here, a parser
that dies or is abandoned does not leave the caller waiting, and it runs at the niceness asked."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import closing

import pytest

from digest.ingest.errors import IngestError
from digest.ingest.parallel import ChildDied, in_child_process


def test_items_arrive_in_order_whatever_their_size() -> None:
    def produce() -> Iterator[object]:
        yield "format"
        for n in range(5):
            yield n, "x" * (n * 300_000)  # larger than a pipe's buffer

    items = list(in_child_process(produce))
    assert items[0] == "format"
    assert [(n, len(text)) for n, text in items[1:]] == [(n, n * 300_000) for n in range(5)]


def test_the_parser_yields_the_cpu_to_the_caller_by_the_niceness_asked() -> None:
    def produce() -> Iterator[object]:
        yield os.nice(0)

    assert list(in_child_process(produce, niceness=10)) == [min(os.nice(0) + 10, 19)]
    assert list(in_child_process(produce)) == [os.nice(0)]


def test_an_error_in_the_parser_is_raised_in_the_caller() -> None:
    def produce() -> Iterator[object]:
        yield 1
        raise IngestError("the input is empty")

    items = in_child_process(produce)
    assert next(items) == 1
    with pytest.raises(IngestError, match="the input is empty"):
        next(items)


def test_a_parser_that_dies_is_reported_not_waited_for() -> None:
    def produce() -> Iterator[object]:
        yield 1
        os.kill(os.getpid(), signal.SIGKILL)
        yield 2

    items = in_child_process(produce)
    assert next(items) == 1
    with pytest.raises(ChildDied):
        next(items)


def test_closing_early_stops_the_parser() -> None:
    def produce() -> Iterator[object]:
        n = 0
        while True:
            yield n
            n += 1

    with closing(in_child_process(produce)) as items:
        assert [next(items) for _ in range(3)] == [0, 1, 2]
