"""The admin's full-text documents move from an expression index on papers to their own table.

The expression GIN index (curation 0003) computed each paper's document inside every ingest
transaction, the larger part of a bulk ingest's time; see digest/papers/search_index.py. On
PostgreSQL this creates the GIN index on the new table, writes the documents of the papers already
stored (as the old index held them: minutes on millions of papers) and drops the old index.
"""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

DOCUMENT = (
    "to_tsvector('simple'::regconfig, coalesce(title, '') || ' ' || coalesce(abstract, '') || ' ' "
    "|| coalesce(author_names::text, ''))"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        'CREATE INDEX IF NOT EXISTS "papersearchdocument_document" ON "papers_papersearchdocument" '
        'USING gin ("document")'
    )
    schema_editor.execute(
        f'INSERT INTO "papers_papersearchdocument" (paper_id, document) SELECT id, {DOCUMENT} FROM "papers_paper"'
    )
    schema_editor.execute('DROP INDEX IF EXISTS "paper_search_fts"')


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "paper_search_fts" ON "papers_paper" USING gin (({DOCUMENT}))'
    )


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0004_authorships_without_database_foreign_keys"),
        ("curation", "0003_paper_fulltext_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="PaperSearchDocument",
            fields=[
                (
                    "paper",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="papers.paper",
                    ),
                ),
                ("document", django.contrib.postgres.search.SearchVectorField()),
            ],
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
