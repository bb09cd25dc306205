"""A database cursor for the hot write paths (matching runs, digest sending)."""

from __future__ import annotations

from typing import Any

import psycopg
from django.db import connection
from django.db.backends.utils import CursorWrapper


class _UnpreparedCursor(psycopg.Cursor[Any]):
    """Never prepares, whatever the connection's threshold."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> _UnpreparedCursor:
        return super().execute(query, params, prepare=False, binary=binary)


def server_bound_cursor(*, prepare: bool = False) -> CursorWrapper:
    """Django's cursor (queries logged and counted as usual) that binds parameters on the server on
    PostgreSQL, so a `%b` parameter travels in binary: an array of thousands of ids or texts costs
    the client almost nothing, where client-side binding quotes every element in Python.

    With `prepare`, psycopg prepares a statement run a few times on the connection (see
    DB_PREPARED_STATEMENTS), and PostgreSQL stops re-planning it: for a statement run once per
    message or per request (the digest claim, the feeds' version query). Without, every run is
    planned for its own parameters: a statement run once per chunk gains little from preparing,
    and PostgreSQL's generic plan, used from the sixth run on, can be far worse (for the digest
    candidates of a chunk it scans every digest item ever sent, once per subscriber: 3.7 s
    instead of 35 ms). Elsewhere a plain cursor."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    raw = (psycopg.Cursor if prepare else _UnpreparedCursor)(connection.connection)
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
