"""make run's ports (local/ports.py): a chosen port that is taken stops it with a message naming
the port; a default that is taken is replaced by a free port, said aloud; the API is the API."""

import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from local.ports import PortUnavailable, choose_ports, free_port, free_ports, is_free, wait_for_api


@contextmanager
def taken():
    """A port another program listens on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_nothing_chosen_and_the_defaults_free_is_the_defaults():
    defaults = tuple(free_ports(2))
    ports = choose_ports(None, "", defaults)
    assert (ports.api, ports.moto, ports.notes) == (*defaults, [])


def test_chosen_free_ports_are_used_as_chosen():
    api, moto, *defaults = free_ports(4)
    ports = choose_ports(f" {api} ", str(moto), tuple(defaults))
    assert (ports.api, ports.moto, ports.notes) == (api, moto, [])


@pytest.mark.parametrize("name", ["PORT", "MOTO_PORT"])
def test_a_chosen_port_that_is_taken_is_refused_naming_it(name):
    with taken() as port:
        values = {"PORT": None, "MOTO_PORT": None, name: str(port)}
        with pytest.raises(PortUnavailable) as refused:
            choose_ports(values["PORT"], values["MOTO_PORT"], (free_port(), free_port()))
    assert f"Port {port} ({name}) is in use" in str(refused.value) and f"make run {name}=" in str(refused.value)


def test_defaults_that_are_taken_are_replaced_by_free_ports_and_said():
    with taken() as api_default, taken() as moto_default:
        ports = choose_ports(None, None, (api_default, moto_default))
        assert ports.api not in (api_default, moto_default) and ports.moto not in (api_default, moto_default)
        assert ports.api != ports.moto and is_free(ports.api) and is_free(ports.moto)
    assert ports.notes == [
        f"Port {api_default} (PORT's default) is in use by another program: using {ports.api} instead "
        "(set PORT to choose).",
        f"Port {moto_default} (MOTO_PORT's default) is in use by another program: using {ports.moto} instead "
        "(set MOTO_PORT to choose).",
    ]


def test_a_default_is_never_the_port_chosen_for_the_other():
    default, other = free_ports(2)
    ports = choose_ports(None, str(default), (default, other))
    assert ports.moto == default and ports.api != default
    assert ports.notes == [f"Port {default} (PORT's default) is MOTO_PORT's: using {ports.api} instead "
                           "(set PORT to choose)."]


@pytest.mark.parametrize("value", ["abc", "0", "65536", "-1", "3e3", "٣٠٠٠", "9" * 400])
def test_a_malformed_port_is_refused_saying_what_it_must_be(value):
    with pytest.raises(PortUnavailable, match="PORT must be a port number from 1 to 65535"):
        choose_ports(value, None)


def test_the_same_port_twice_is_refused():
    port = free_port()
    with pytest.raises(PortUnavailable, match="both"):
        choose_ports(str(port), str(port))


class _OtherProgram(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"<html>another program</html>")

    def log_message(self, *args):
        pass


def test_another_program_answering_on_the_port_is_not_taken_for_the_api():
    server = HTTPServer(("127.0.0.1", 0), _OtherProgram)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    gateway = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.5); raise SystemExit(1)"])
    try:
        with pytest.raises(RuntimeError, match="exited with status 1"):
            wait_for_api(f"http://127.0.0.1:{server.server_port}", "/v3/b/x", gateway, timeout=10)
    finally:
        server.shutdown()
        gateway.wait()


def test_free_ports_are_different():
    assert len(set(free_ports(8))) == 8
