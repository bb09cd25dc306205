"""Downloading a source politely and safely: a User-Agent that says who we are, a timeout on every
socket operation and on the whole transfer, and a size cap, spooled to a temporary file so a large
download never sits in memory."""

from __future__ import annotations

import socket
import tempfile
import time
import urllib.error
import urllib.request
from typing import BinaryIO
from urllib.parse import urlsplit

from digest.ingest.errors import IngestError

CHUNK = 256 * 1024


def is_url(location: str) -> bool:
    return urlsplit(location).scheme in {"http", "https"}


def fetch(url: str, *, timeout: float, max_bytes: int, user_agent: str) -> BinaryIO:
    """The response body in a rewound temporary file; IngestError (one line) for any failure."""
    if not is_url(url):
        raise IngestError(f"only http and https URLs can be fetched, got {url!r}")
    request = urllib.request.Request(url, headers={"User-Agent": user_agent, "Accept": "*/*"})
    deadline = time.monotonic() + timeout
    body = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller open
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if response.status != 200:
                raise IngestError(f"{url} answered HTTP {response.status}, expected 200")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise IngestError(f"{url} is {int(declared):,} bytes, over the {max_bytes:,}-byte limit")
            size = 0
            while chunk := response.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise IngestError(f"{url} is larger than the {max_bytes:,}-byte limit")
                if time.monotonic() > deadline:
                    raise IngestError(f"{url} took longer than {timeout:g} s to download")
                body.write(chunk)
    except urllib.error.HTTPError as error:
        body.close()
        raise IngestError(f"{url} answered HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        body.close()
        reason = error.reason
        if isinstance(reason, TimeoutError | socket.timeout):
            raise IngestError(f"{url} did not answer within {timeout:g} s") from None
        raise IngestError(f"cannot fetch {url}: {reason}") from None
    except TimeoutError:
        body.close()
        raise IngestError(f"{url} did not answer within {timeout:g} s") from None
    except (OSError, ValueError) as error:
        body.close()
        raise IngestError(f"cannot fetch {url}: {error}") from None
    except IngestError:
        body.close()
        raise
    body.seek(0)
    return body  # type: ignore[return-value]
