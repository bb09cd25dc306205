"""Running a producer in a child process, so parsing uses a second core while the caller works.

Threads cannot do this: parsing is pure Python and holds the GIL, which the caller's own Python
work (merging, formatting COPY data) needs at the same time.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

_ITEM, _DONE, _ERROR = "item", "done", "error"


class ChildDied(RuntimeError):
    """The child process ended without finishing or reporting an error (killed, out of memory)."""


_LENGTH = struct.Struct("<Q")


def _send(out: BinaryIO, message: tuple[str, Any]) -> None:
    # Pickled whole before writing, then sent with its length: pickling straight into the pipe would
    # make the reader wait on the pickling, which this process can do while the reader is busy.
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_LENGTH.pack(len(data)))
    out.write(data)
    out.flush()


def _receive(source: BinaryIO) -> tuple[str, Any]:
    head = source.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError
    (length,) = _LENGTH.unpack(head)
    data = source.read(length)
    if len(data) < length:
        raise EOFError
    return pickle.loads(data)


def _child(produce: Callable[[], Iterator[Any]], out: BinaryIO) -> None:
    try:
        for item in produce():
            _send(out, (_ITEM, item))
        _send(out, (_DONE, None))
    except BrokenPipeError:
        pass  # the parent stopped listening (it failed or was stopped): nothing left to do
    except BaseException as error:
        try:
            pickle.dumps(error)
        except Exception:  # the error itself cannot cross over: its words can
            error = RuntimeError(f"{type(error).__name__}: {error}")
        _send(out, (_ERROR, error))


def in_child_process(produce: Callable[[], Iterator[Any]], niceness: int = 0) -> Iterator[Any]:
    """The items of `produce()`, computed in a forked child process one item ahead of the caller
    (the child starts the next while the caller works on this one), at `niceness` more than the
    caller's. An exception in the child is re-raised here; closing this iterator early stops the
    child.

    A plain fork rather than multiprocessing: that refuses to start children from daemonic
    processes such as Celery's pool workers. The child needs nothing pickled but its items, and
    never touches the parent's database connection: it only reads and parses. It ends at the
    latest on its next write once the parent is gone (broken pipe)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if niceness:
            os.nice(niceness)
        try:
            with open(write_end, "wb") as out:
                _child(produce, out)
        finally:
            # Skip the parent's exit handlers (database connections, temporary files).
            os._exit(0)
    os.close(write_end)
    finished = False
    try:
        with open(read_end, "rb") as source:
            while True:
                try:
                    kind, value = _receive(source)
                except EOFError:
                    raise ChildDied("the parser process ended unexpectedly") from None
                if kind == _DONE:
                    finished = True
                    return
                if kind == _ERROR:
                    finished = True
                    raise value
                yield value
    finally:
        if not finished:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
