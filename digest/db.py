"""A database cursor for the hot write paths (matching runs, digest sending)."""

from __future__ import annotations

import psycopg
from django.db import connection
from django.db.backends.utils import CursorWrapper


def server_bound_cursor() -> CursorWrapper:
    """Django's cursor (queries logged and counted as usual) that binds parameters on the server on
    PostgreSQL. Two things follow: a `%b` parameter travels in binary, so an array of thousands of
    ids or texts costs the client almost nothing, where client-side binding quotes every element in
    Python; and psycopg prepares a statement run a few times on the connection, so PostgreSQL stops
    re-planning a per-message statement (see DB_PREPARED_STATEMENTS). Elsewhere a plain cursor."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
