"""Trigram indexes for the paper admin's substring search (title, abstract, authors).

Django's `icontains` on PostgreSQL is `UPPER(col::text) LIKE UPPER('%term%')`; a GIN trigram index on
exactly that expression turns a sequential scan of every abstract into an index lookup. PostgreSQL
only: other databases (the embedded SQLite mode) skip this migration's work.
"""

from django.db import migrations

INDEXES = {
    "paper_title_trgm": 'UPPER("title"::text)',
    "paper_abstract_trgm": 'UPPER("abstract"::text)',
    "paper_authors_trgm": 'UPPER("author_names"::text)',
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "papers_paper" USING gin (({expression}) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("curation", "0001_initial"),
        ("papers", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
