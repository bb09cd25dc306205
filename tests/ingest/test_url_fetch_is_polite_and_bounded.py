"""Fetching over HTTP against a real local server: User-Agent, size cap, timeout, HTTP errors."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

from digest.ingest.errors import IngestError
from digest.papers.models import IngestRun, Paper
from tests.conftest import free_port
from tests.ingest.conftest import DATA, Ingest

FEED = (DATA / "arxiv-api.atom").read_bytes()


class Handler(BaseHTTPRequestHandler):
    seen_agents: list[str] = []

    def do_GET(self) -> None:
        Handler.seen_agents.append(self.headers.get("User-Agent", ""))
        if self.path == "/feed":
            self._send(200, FEED)
        elif self.path == "/big":
            self._send(200, b"<feed>" + b" " * 5000 + b"</feed>", length=False)
        elif self.path == "/slow":
            time.sleep(2)
            self._send(200, FEED)
        elif self.path == "/gone":
            self._send(404, b"not here")
        else:
            self._send(500, b"oops")

    def _send(self, status: int, body: bytes, length: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/atom+xml")
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@override_settings(INGEST_USER_AGENT="PaperDigestTest/1.0 (+http://testserver)")
def test_a_feed_url_is_fetched_with_our_user_agent(ingest: Ingest, server: str) -> None:
    run = ingest(f"{server}/feed")
    assert (run.format, run.new) == ("arxiv-atom", 3)
    assert Handler.seen_agents[-1] == "PaperDigestTest/1.0 (+http://testserver)"
    assert Paper.objects.count() == 3


@override_settings(INGEST_MAX_BYTES=1024)
def test_a_response_over_the_size_cap_is_refused(ingest: Ingest, server: str) -> None:
    with pytest.raises(IngestError, match="larger than the 1,024-byte limit"):
        ingest(f"{server}/big")
    with pytest.raises(IngestError, match=r"is 3,\d+ bytes, over the 1,024-byte limit"):
        ingest(f"{server}/feed")
    assert IngestRun.objects.filter(status=IngestRun.Status.FAILED).count() == 2


@override_settings(INGEST_FETCH_TIMEOUT=0.5)
def test_a_slow_server_times_out(ingest: Ingest, server: str) -> None:
    started = time.monotonic()
    with pytest.raises(IngestError, match=r"did not answer within 0\.5 s"):
        ingest(f"{server}/slow")
    assert time.monotonic() - started < 1.9


@pytest.mark.parametrize(("path", "status"), [("/gone", "HTTP 404"), ("/broken", "HTTP 500")])
def test_an_http_error_fails_the_run_with_the_status(
    ingest: Ingest, server: str, path: str, status: str
) -> None:
    with pytest.raises(IngestError, match=status):
        ingest(f"{server}{path}")
    run = IngestRun.objects.get()
    assert run.status == IngestRun.Status.FAILED and status in run.error


def test_an_unreachable_host_fails_cleanly(ingest: Ingest) -> None:
    with pytest.raises(IngestError, match="cannot fetch"):
        ingest(f"http://127.0.0.1:{free_port()}/nothing-listens-here")
