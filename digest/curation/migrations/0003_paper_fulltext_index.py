"""One full-text GIN index over title, abstract and authors replaces the three trigram indexes.

Measured on 100,000 papers: a common word matched ~17% of rows and the planner preferred a
sequential scan that upper-cased every abstract (~350 ms per count); the full-text index answers the
same search from the index. PostgreSQL only; the expression must match digest/curation/search.py.
"""

from django.db import migrations

DOCUMENT = (
    "to_tsvector('simple'::regconfig, coalesce(\"title\", '') || ' ' || "
    "coalesce(\"abstract\", '') || ' ' || coalesce(\"author_names\"::text, ''))"
)
TRIGRAM = ("paper_title_trgm", "paper_abstract_trgm", "paper_authors_trgm")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "paper_search_fts" ON "papers_paper" USING gin (({DOCUMENT}))')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('DROP INDEX IF EXISTS "paper_search_fts"')


class Migration(migrations.Migration):
    dependencies = [("curation", "0002_admin_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
