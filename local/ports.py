"""Ports on loopback: choosing make run's two, finding a free one, and waiting for an API to answer.

make run serves the API on PORT (default 3000) and moto on MOTO_PORT (default 5000). A port the
user chose must be free, or make run says which is taken and stops before starting anything. A
default that is taken (port 5000 is AirPlay Receiver's on every recent Mac) is replaced by a free
port, and make run says so.
"""

import errno
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

DEFAULT_PORT = 3000
DEFAULT_MOTO_PORT = 5000


class PortUnavailable(Exception):
    """A port make run cannot use, in words for the user."""


@dataclass(frozen=True)
class Ports:
    api: int
    moto: int
    notes: list[str] = field(default_factory=list)  # what make run chose for the user, to print


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` different ports free now (each probe held open until all are chosen)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def why_not_free(port: int) -> str | None:
    """Why a server could not listen on 127.0.0.1:`port` now, in words; None if it could (a port
    in TIME_WAIT counts as free)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return "is in use by another program"
            if error.errno == errno.EACCES:
                return "needs privileges this user lacks (ports below 1024 do)"
            raise
    return None


def is_free(port: int) -> bool:
    return why_not_free(port) is None


def _chosen(name: str, value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 65535:
        raise PortUnavailable(f"{name} must be a port number from 1 to 65535, not {value!r}")
    return int(text)


def choose_ports(
    port: str | None,
    moto_port: str | None,
    defaults: tuple[int, int] = (DEFAULT_PORT, DEFAULT_MOTO_PORT),
) -> Ports:
    """make run's ports: PORT's and MOTO_PORT's values (None or blank: not chosen), or the defaults,
    or free ports in place of defaults that are taken. PortUnavailable for a chosen port that is
    taken or malformed, or for the same port chosen twice."""
    chosen = {"PORT": _chosen("PORT", port), "MOTO_PORT": _chosen("MOTO_PORT", moto_port)}
    if chosen["PORT"] is not None and chosen["PORT"] == chosen["MOTO_PORT"]:
        raise PortUnavailable(f"PORT and MOTO_PORT are both {chosen['PORT']}: choose two different ports")
    for name, number in chosen.items():
        problem = None if number is None else why_not_free(number)
        if problem is not None:
            raise PortUnavailable(
                f"Port {number} ({name}) {problem}: stop what holds it, or choose another port, "
                f"e.g. make run {name}={free_port()}"
            )
    picked: dict[str, int] = {}
    notes: list[str] = []
    for (name, number), default in zip(chosen.items(), defaults, strict=True):
        if number is not None:
            picked[name] = number
            continue
        in_use_here = {other for other in chosen.values() if other is not None} | set(picked.values())
        if default not in in_use_here and is_free(default):
            picked[name] = default
            continue
        picked[name] = free_port()
        while picked[name] in in_use_here:
            picked[name] = free_port()
        holder = next((other for other, value in chosen.items() if value == default), None)
        why = f"is {holder}'s" if holder else "is in use by another program"
        notes.append(f"Port {default} ({name}'s default) {why}: using {picked[name]} instead (set {name} to choose).")
    return Ports(picked["PORT"], picked["MOTO_PORT"], notes)


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Wait until something listens on 127.0.0.1:`port`, while `process` runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the process serving port {port} exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listened on port {port} within {timeout:.0f}s")


def wait_for_api(url: str, probe_path: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Wait until the API started as `process` answers a request of its own at `url`: a JSON error
    `{"message": ...}` for `probe_path` (asked without a key, so it spends nothing). Something else
    answering on the port is not the API: if `process` exits meanwhile, this says so."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the API gateway exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url + probe_path, timeout=2) as response:
                answer = response.status, response.read()
        except urllib.error.HTTPError as error:
            answer = error.code, error.read()
        except OSError:
            time.sleep(0.1)
            continue
        if _is_our_refusal(*answer):
            return
        time.sleep(0.1)
    raise RuntimeError(f"the API did not answer at {url} within {timeout:.0f}s")


def _is_our_refusal(status: int, body: bytes) -> bool:
    try:
        answer = json.loads(body)
    except ValueError:
        return False
    return status == 401 and isinstance(answer, dict) and isinstance(answer.get("message"), str)
