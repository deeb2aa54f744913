"""`make run`: the whole stack on loopback, in the foreground, until Ctrl-C.

0. the two ports are checked before anything starts (local/ports.py): a port the user chose that
   is taken stops make run with a message naming it; a default that is taken is replaced;
1. moto's server on 127.0.0.1:$MOTO_PORT emulates DynamoDB and S3;
2. the tables and bucket are created as template.yaml declares them;
3. a demo account and bin are provisioned, so there is something to update right away;
4. SAM's API Gateway emulation (local/gateway.py, in .venv-sam) serves the API on 127.0.0.1:$PORT,
   and the banner is printed only once the API has answered a request of its own;
5. what the functions print is shown here, and their usage lines are delivered to the usage logs
   bucket as template.yaml's pipeline does in AWS (local/usage_delivery.py).
"""

import signal
import sys

if __name__ == "__main__":
    # Ctrl-C while the imports below load (about a second): stop quietly, as after them.
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))

import json
import logging
import os
import shlex
import subprocess
import threading

import boto3

from binctl.resources import local_settings
from binstore import bins, provisioning
from binstore.access import Credentials
from binstore.storage import Store
from local.aws import create_resources
from local.emulation import AtomicMotoServer
from local.ports import Ports, PortUnavailable, choose_ports, wait_for_api
from local.template import ROOT, TEMPLATE_PATH, load_template, local_functions
from local.usage_delivery import LocalDelivery, pump

REGION = "us-east-1"
SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"


def aws_environment(moto_port: int) -> dict[str, str]:
    """What boto3 needs to talk to the local moto server, and nothing else."""
    return {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


def start_gateway(port: int, moto_port: int, delivery: LocalDelivery, probe_path: str) -> subprocess.Popen:
    if not SAM_PYTHON.exists():
        raise RuntimeError(f"{SAM_PYTHON} is missing: run `make run`, which creates .venv-sam")
    functions = {
        function.logical_id: {
            "python": sys.executable,
            "handler": function.handler,
            "code_dir": function.code_dir,
            "layer_dirs": function.layer_dirs,
            "environment": function.environment,
            "cwd": str(ROOT),
            "timeout": function.timeout_seconds,
        }
        for function in local_functions(load_template())
        # Stream consumers have no local event source: the local stack serves the API only.
        if "HttpApi" in function.event_types
    }
    env = {**os.environ, **aws_environment(moto_port), "SAM_CLI_TELEMETRY": "0"}
    process = subprocess.Popen(
        [
            str(SAM_PYTHON),
            "-m",
            "local.gateway",
            "--template",
            str(TEMPLATE_PATH),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--functions",
            json.dumps(functions),
        ],
        cwd=ROOT,
        env=env,
        # The functions' output (their logs, as CloudWatch would hold them) comes through here.
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    threading.Thread(target=pump, args=(process.stderr, delivery, sys.stderr), daemon=True).start()
    try:
        wait_for_api(f"http://127.0.0.1:{port}", probe_path, process)
    except BaseException:
        process.kill()
        raise
    return process


def provision_demo(store: Store) -> tuple[str, str]:
    account = provisioning.create_account(store, "pro")
    created = bins.create_bin(store, Credentials(master_key=account.master_key), b'{"sample": "Hello World"}')
    return account.master_key, created.bin.bin_id


def banner(url: str, moto_port: int, master_key: str, bin_id: str) -> str:
    curl = shlex.join(
        [
            "curl",
            "-s",
            "-X",
            "PUT",
            f"{url}/v3/b/{bin_id}",
            "-H",
            "Content-Type: application/json",
            "-H",
            f"X-Master-Key: {master_key}",
            "--data",
            '{"sample": "Hello again"}',
        ]
    )
    read = shlex.join(["curl", "-s", f"{url}/v3/b/{bin_id}/latest", "-H", f"X-Master-Key: {master_key}"])
    create = shlex.join(
        [
            "curl",
            "-s",
            "-X",
            "POST",
            f"{url}/v3/b",
            "-H",
            "Content-Type: application/json",
            "-H",
            f"X-Master-Key: {master_key}",
            "-H",
            "X-Bin-Name: my first bin",
            "--data",
            '{"hello": "world"}',
        ]
    )
    exports = " ".join(f"{name}={value}" for name, value in aws_environment(moto_port).items())
    return (
        f"\nbinstore is running at {url}  (AWS emulated by moto at http://127.0.0.1:{moto_port})\n"
        f"  demo master key (pro plan): {master_key}\n"
        f"  demo private bin id:        {bin_id}\n\n"
        f"Open the web console: {url}/console  (sign in with the demo master key above)\n\n"
        f"Update the demo bin:\n  {curl}\n"
        f"Read it:\n  {read}\n"
        f"Create another (the README lists every route):\n  {create}\n\n"
        f"Provision more with binctl against this stack, from another shell in this directory:\n"
        f"  export {exports}\n"
        f"  .venv/bin/binctl account create --plan free\n\n"
        "Press Ctrl-C to stop."
    )


def serve(ports: Ports) -> None:
    """Start the stack on `ports` and serve until Ctrl-C or SIGTERM."""
    os.environ.update(aws_environment(ports.moto))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per emulated AWS call
    moto = AtomicMotoServer(ip_address="127.0.0.1", port=ports.moto, verbose=False)
    try:
        moto.start()
    except OSError as error:
        raise PortUnavailable(f"Port {ports.moto} (MOTO_PORT) could not be used: {error.strerror}") from None
    gateway = None
    delivery = LocalDelivery(boto3.client("s3")).start()
    try:
        create_resources(boto3.client("dynamodb"), boto3.client("s3"))
        master_key, bin_id = provision_demo(Store(local_settings()))
        # Asked without a key: the API's own 401, which spends nothing.
        gateway = start_gateway(ports.api, ports.moto, delivery, probe_path=f"/v3/b/{bin_id}")
        print(banner(f"http://127.0.0.1:{ports.api}", ports.moto, master_key, bin_id), flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        gateway.wait()
    except KeyboardInterrupt:
        # Ctrl-C reached the whole process group: the gateway is stopping too; let it finish.
        if gateway is not None:
            try:
                gateway.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
    finally:
        if gateway is not None and gateway.poll() is None:
            gateway.terminate()
            try:
                gateway.wait(timeout=10)
            except subprocess.TimeoutExpired:
                gateway.kill()
        delivery.stop()
        moto.stop()


def main() -> int:
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C: KeyboardInterrupt, handled below
    try:
        ports = choose_ports(os.environ.get("PORT"), os.environ.get("MOTO_PORT"))
        for note in ports.notes:
            print(note, flush=True)
        serve(ports)
    except PortUnavailable as error:
        print(f"make run: {error}", file=sys.stderr, flush=True)
        return 2
    except RuntimeError as error:
        print(f"make run: the local stack did not start: {error}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        pass  # Ctrl-C while starting: what started has been stopped
    return 0


if __name__ == "__main__":
    sys.exit(main())
