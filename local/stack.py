"""`make run`'s stack as a child process on free ports, for the HTTP tests and the benchmark.

It is started exactly as a user starts it (`python -m local.run`), read from what it prints, and
stopped as a user stops it (Ctrl-C to its process group), then killed if anything lingers.
"""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3

from binctl.resources import local_settings
from binstore.storage import Store
from local.ports import free_ports
from local.run import aws_environment
from local.template import ROOT

READY_LINE = "Press Ctrl-C to stop."


class StackDidNotStart(RuntimeError):
    pass


@dataclass
class LocalStack:
    url: str
    moto_url: str
    master_key: str
    bin_id: str
    curl_line: str
    log_path: Path

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, dict, str]:
        status, answered_headers, answer = self.request_bytes(method, path, body, headers)
        return status, answered_headers, answer.decode()

    def request_bytes(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, dict, bytes]:
        """The answer as sent: bytes (a usage log is a zip)."""
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    @property
    def aws_environment(self) -> dict[str, str]:
        """What binctl needs to reach this stack: the same variables make run tells users to set."""
        return aws_environment(int(self.moto_url.rsplit(":", 1)[1]))

    def store(self) -> Store:
        def client(service):
            return boto3.client(
                service,
                endpoint_url=self.moto_url,
                region_name="us-east-1",
                aws_access_key_id="x",
                aws_secret_access_key="x",
            )

        return Store(local_settings(), dynamodb=client("dynamodb"), s3=client("s3"))

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def running_stack(log_path: Path, timeout: float = 120, ports: dict[str, str] | None = None) -> Iterator[LocalStack]:
    """Start `python -m local.run` on free ports (or with `ports`, PORT and MOTO_PORT as a user
    would set them; absent: not chosen), logging to `log_path`; stop it on exit."""
    if ports is None:
        api, moto = free_ports(2)
        ports = {"PORT": str(api), "MOTO_PORT": str(moto)}
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name in ("AWS_ENDPOINT_URL", "PORT", "MOTO_PORT"):
        env.pop(name, None)
    env.update(ports)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.run"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout
        while READY_LINE not in log_path.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise StackDidNotStart("make run's stack did not start:\n" + log_path.read_text(errors="replace"))
            time.sleep(0.2)
        output = log_path.read_text(errors="replace")
        running = re.search(r"binstore is running at (\S+)  \(AWS emulated by moto at (\S+)\)", output)
        yield LocalStack(
            url=running[1],
            moto_url=running[2],
            master_key=re.search(r"demo master key \(pro plan\): (\S+)", output)[1],
            bin_id=re.search(r"demo private bin id: +(\S+)", output)[1],
            curl_line=next(line.strip() for line in output.splitlines() if line.strip().startswith("curl ")),
            log_path=log_path,
        )
    finally:
        # Ctrl-C, as a user stops make run; then make sure nothing is left behind.
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
