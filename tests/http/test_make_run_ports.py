"""make run's ports, as a user meets them: a port they chose that is taken stops it at once, naming
the port, with nothing started; defaults that are taken (5000 is AirPlay Receiver's on a Mac) are
replaced by free ports, said aloud, and the banner comes only once the API answers there."""

import os
import socket
import subprocess
import sys
from contextlib import ExitStack

from local.ports import DEFAULT_MOTO_PORT, DEFAULT_PORT, free_ports, is_free
from local.stack import running_stack
from local.template import ROOT


def listening(stack: ExitStack, port: int) -> int:
    """Another program listening on `port` (if one already does, so much the better)."""
    listener = stack.enter_context(socket.socket())
    try:
        listener.bind(("127.0.0.1", port))
        listener.listen()
    except OSError:
        assert not is_free(port)
    return port


def run(command: list[str], **ports: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("PORT", "MOTO_PORT", "AWS_ENDPOINT_URL")}
    return subprocess.run(command, cwd=ROOT, env={**env, **ports}, capture_output=True, text=True, timeout=120)


def test_make_run_on_a_chosen_port_that_is_taken_says_which_and_starts_nothing():
    moto_port, taken = free_ports(2)
    with ExitStack() as stack:
        port = listening(stack, taken)
        finished = run(["make", "--no-print-directory", "run", f"PORT={port}", f"MOTO_PORT={moto_port}"])
    assert finished.returncode != 0
    assert f"make run: Port {port} (PORT) is in use by another program" in finished.stderr
    assert "binstore is running" not in finished.stdout and "Traceback" not in finished.stderr
    assert is_free(moto_port)  # moto was never started


def test_a_chosen_moto_port_that_is_taken_says_which_and_exits_2():
    port, taken = free_ports(2)
    with ExitStack() as stack:
        moto_port = listening(stack, taken)
        finished = run([sys.executable, "-m", "local.run"], PORT=str(port), MOTO_PORT=str(moto_port))
    assert finished.returncode == 2
    assert finished.stderr.startswith(f"make run: Port {moto_port} (MOTO_PORT) is in use by another program")
    assert "Traceback" not in finished.stderr and is_free(port)


def test_defaults_that_are_taken_are_replaced_and_the_banner_points_at_the_api(tmp_path):
    with ExitStack() as stack:
        listening(stack, DEFAULT_PORT)
        listening(stack, DEFAULT_MOTO_PORT)
        with running_stack(tmp_path / "run.log", ports={}) as local:
            status, _, answer = local.request("GET", f"/v3/b/{local.bin_id}/latest",
                                              headers={"X-Master-Key": local.master_key})
            log = local.logs()
    assert status == 200 and '"sample"' in answer
    api_port, moto_port = int(local.url.rsplit(":", 1)[1]), int(local.moto_url.rsplit(":", 1)[1])
    assert {api_port, moto_port}.isdisjoint({DEFAULT_PORT, DEFAULT_MOTO_PORT})
    assert f"Port {DEFAULT_PORT} (PORT's default) is in use by another program: using {api_port} instead" in log
    assert f"Port {DEFAULT_MOTO_PORT} (MOTO_PORT's default) is in use by another program: using {moto_port}" in log
    assert log.index("using") < log.index("binstore is running")
    assert f"export AWS_ENDPOINT_URL={local.moto_url} " in log  # binctl's environment, exactly
    assert "development server" not in log and "CTRL+C" not in log  # werkzeug's notices, in red: not ours
    assert "Traceback" not in local.logs()  # stopped with Ctrl-C, quietly


def test_a_port_value_is_never_run_as_a_command(tmp_path):
    marker = tmp_path / "ran"
    finished = run(["make", "--no-print-directory", "run", f'PORT=x"; touch {marker}; echo "'])
    assert finished.returncode != 0 and "PORT must be a port number from 1 to 65535" in finished.stderr
    assert not marker.exists()
