"""Fixtures of the handler tests beyond tests/conftest.py's."""

import http.server
import threading
import urllib.request

import pytest


@pytest.fixture
def fetches(monkeypatch):
    """Every URL or file the code tries to open (urlopen is how jsonschema fetches a remote $ref), plus
    the requests a real server on loopback receives: both must stay empty."""
    opened = []

    def no_urlopen(url, *args, **kwargs):
        opened.append(getattr(url, "full_url", url))
        raise OSError("the test forbids opening URLs")

    monkeypatch.setattr(urllib.request, "urlopen", no_urlopen)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            opened.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"type": "string", "description": "fetched"}')

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield opened, f"http://127.0.0.1:{server.server_address[1]}/schema.json"
    server.shutdown()
    server.server_close()
