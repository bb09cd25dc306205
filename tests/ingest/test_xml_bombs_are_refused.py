from __future__ import annotations

import io

import pytest

from digest.ingest.errors import IngestError
from digest.ingest.formats.feeds import parse_atom

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&lol3;</title></entry></feed>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&xxe;</title></entry></feed>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL], ids=["entity expansion", "external entity"])
def test_documents_with_a_dtd_are_refused_before_any_expansion(document: bytes) -> None:
    with pytest.raises(IngestError, match="refused for safety"):
        list(parse_atom(io.BytesIO(document)))
