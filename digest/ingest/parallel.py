"""Running a producer in a child process, so parsing uses a second core while the caller works.

Threads cannot do this: parsing is pure Python and holds the GIL, which the caller's own Python
work (merging, formatting COPY data) needs at the same time.
"""

from __future__ import annotations

import os
import pickle
import queue
import signal
import struct
import threading
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

_ITEM, _DONE, _ERROR = "item", "done", "error"


class ChildDied(RuntimeError):
    """The child process ended without finishing or reporting an error (killed, out of memory)."""


_LENGTH = struct.Struct("<Q")


class _Sender:
    """Writes pickled messages from a thread, so the producer computes the next item while the
    previous one waits in the pipe for the reader: a parser that stalled on every write left the
    reader waiting on it in turn. At most one message waits besides the one being written."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.broken = False
        self.outbox: queue.Queue[bytes | None] = queue.Queue(maxsize=1)
        self.thread = threading.Thread(target=self._write, daemon=True)
        self.thread.start()

    def send(self, message: tuple[str, Any]) -> None:
        # Pickled whole here, then sent with its length in front.
        self.outbox.put(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def close(self) -> None:
        self.outbox.put(None)
        self.thread.join()

    def _write(self) -> None:
        while (data := self.outbox.get()) is not None:
            if self.broken:
                continue  # drained, so that the producer never blocks on a full outbox
            try:
                self.out.write(_LENGTH.pack(len(data)))
                self.out.write(data)
                self.out.flush()
            except BrokenPipeError:
                self.broken = True  # the reader stopped listening (it failed or was stopped)


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
    sender = _Sender(out)
    try:
        for item in produce():
            if sender.broken:
                return
            sender.send((_ITEM, item))
        sender.send((_DONE, None))
    except BaseException as error:
        try:
            pickle.dumps(error)
        except Exception:  # the error itself cannot cross over: its words can
            error = RuntimeError(f"{type(error).__name__}: {error}")
        sender.send((_ERROR, error))
    finally:
        sender.close()


def in_child_process(produce: Callable[[], Iterator[Any]]) -> Iterator[Any]:
    """The items of `produce()`, computed in a forked child process up to two items ahead of the
    caller (the child works on the next ones while the caller works on this one). An exception in the child is
    re-raised here; closing this iterator early stops the child.

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
