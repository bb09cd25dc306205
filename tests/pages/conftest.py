from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _lexical_matching(settings: object) -> None:
    # These tests are about pages and feeds, not about ranking: skip loading the embedding model.
    settings.MATCH_SEMANTIC = False  # type: ignore[attr-defined]
