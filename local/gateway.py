"""API Gateway, emulated by SAM CLI's own local service, running functions in warm worker processes.

This runs in .venv-sam (SAM CLI's environment). SAM reads template.yaml for routes, CORS and the
payload format, turns each HTTP request into the event API Gateway would send, and turns the
function's reply into the HTTP response, exactly as `sam local start-api` does. Only the runner is
ours: where SAM would start a Docker container per function, PooledLambdaRunner hands the event to
a warm worker process (local/worker.py) running in the project's .venv, so handler modules stay
imported between requests as in a warm Lambda container, and concurrent requests run in parallel
in separate workers, as Lambda scales out.

Usage: python -m local.gateway --template T --host H --port P --functions JSON
"""

import argparse
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading

from samcli.lib.providers.api_provider import ApiProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider
from samcli.local.apigw.event_constructor import construct_v2_event_http
from samcli.local.apigw.local_apigw_service import LocalApigwService
from samcli.local.apigw.path_converter import PathConverter
from samcli.local.apigw.route import Route
from samcli.local.docker.exceptions import ProcessSigTermException


class WorkerDied(Exception):
    pass


class WorkerTimedOut(WorkerDied):
    pass


class Worker:
    def __init__(self, argv: list[str], env: dict[str, str], cwd: str):
        self.process = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self.killed = False  # by its timeout: it must never serve again
        if self._read() != "ready":
            raise WorkerDied("worker did not start")

    def _read(self):
        line = self.process.stdout.readline()
        if not line:
            raise WorkerDied("worker exited")
        return json.loads(line)

    def invoke(self, event: str, timeout: float) -> dict:
        """The function's reply; a worker still busy after `timeout` seconds is killed, as Lambda
        ends an invocation at the function's Timeout, so a stuck request cannot hold the server."""
        expired = threading.Event()

        def expire():
            expired.set()
            self.process.kill()

        timer = threading.Timer(timeout, expire)
        timer.start()
        try:
            self.process.stdin.write(event.replace("\n", " ") + "\n")
            self.process.stdin.flush()
            return self._read()
        except (BrokenPipeError, OSError) as error:
            raise WorkerDied(str(error)) from None
        except WorkerDied:
            if expired.is_set():
                raise WorkerTimedOut(f"Task timed out after {timeout:.2f} seconds") from None
            raise
        finally:
            timer.cancel()
            self.killed = expired.is_set()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()


class WarmWorkerPool:
    """Up to `max_workers` warm workers for one function; the most recently used serves first."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: str, max_workers: int, timeout: float):
        self._argv, self._env, self._cwd, self._timeout = argv, env, cwd, timeout
        self._slots = threading.BoundedSemaphore(max_workers)
        self._idle: queue.LifoQueue[Worker] = queue.LifoQueue()
        self._workers: list[Worker] = []
        self._lock = threading.Lock()

    def _start_worker(self) -> Worker:
        worker = Worker(self._argv, self._env, self._cwd)
        with self._lock:
            self._workers.append(worker)
        return worker

    def prewarm(self) -> None:
        self._idle.put(self._start_worker())

    def invoke(self, event: str) -> dict:
        with self._slots:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                worker = self._start_worker()
            try:
                reply = worker.invoke(event, self._timeout)
            except WorkerDied:
                worker.stop()
                with self._lock:
                    self._workers.remove(worker)
                raise
            if not worker.killed and worker.process.poll() is None:
                self._idle.put(worker)
            else:  # its timer fired just as it answered: a killed worker never serves again
                with self._lock:
                    self._workers.remove(worker)
            return reply

    def stop(self) -> None:
        with self._lock:
            for worker in self._workers:
                worker.stop()


class PooledLambdaRunner:
    """Stands in for SAM's Docker-backed LocalLambdaRunner: same invoke() contract."""

    def __init__(self, pools: dict[str, WarmWorkerPool]):
        self.pools = pools

    def is_debugging(self) -> bool:
        return False

    def invoke(self, function_identifier, event, tenant_id=None, stdout=None, stderr=None, **_):
        pool = self.pools[function_identifier.split("/")[-1]]
        try:
            reply = pool.invoke(event)
        except WorkerTimedOut as error:
            reply = {"errorMessage": str(error), "errorType": "Sandbox.Timedout"}
        except WorkerDied as error:
            reply = {"errorMessage": f"function crashed: {error}", "errorType": "WorkerDied"}
        if "result" in reply:
            stdout.write_str(json.dumps(reply["result"]))
        else:
            stdout.write_str(json.dumps({"errorMessage": reply["errorMessage"], "errorType": reply["errorType"]}))


def declared_expose_headers(stacks) -> list[str]:
    """The ExposeHeaders of the template's HTTP APIs' CorsConfiguration (SAM's local CORS reads
    every other CORS setting, but not this one)."""
    exposed: list[str] = []
    for stack in stacks:
        for resource in stack.resources.values():
            if resource.get("Type") == "AWS::Serverless::HttpApi":
                cors = resource.get("Properties", {}).get("CorsConfiguration") or {}
                exposed += [header for header in cors.get("ExposeHeaders", []) if header not in exposed]
    return exposed


class LocalGateway(LocalApigwService):
    expose_headers: tuple[str, ...] = ()

    def _request_handler(self, **kwargs):
        response = super()._request_handler(**kwargs)
        # As API Gateway does: a CORS answer to an allowed origin names the headers a browser page
        # may read (ETag for If-Match, Idempotent-Replayed).
        if self.expose_headers and "Access-Control-Allow-Origin" in response.headers:
            response.headers["Access-Control-Expose-Headers"] = ",".join(self.expose_headers)
        return response

    def _construct_error_handling(self):
        super()._construct_error_handling()
        # An HTTP API answers a request no route matches with this (SAM mimics a REST API's 403).
        for status in (404, 405):
            self._app.register_error_handler(
                status,
                lambda *_: self.service_response('{"message":"Not Found"}', {"Content-Type": "application/json"}, 404),
            )

    def _generate_lambda_event(self, flask_request, route, method, endpoint):
        try:
            return super()._generate_lambda_event(flask_request, route, method, endpoint)
        except UnicodeDecodeError:
            # A body that is not UTF-8 text reaches the function base64-encoded, as API Gateway
            # sends binary bodies; SAM alone would answer 502 without calling the function.
            if route.event_type != Route.HTTP or route.payload_format_version not in (None, "2.0"):
                raise
            route_key = self._v2_route_key(
                method, PathConverter.convert_path_to_api_gateway(endpoint), route.is_default_route
            )
            return construct_v2_event_http(
                flask_request=flask_request,
                port=self.port,
                binary_types=["*/*"],
                stage_name=self.api.stage_name,
                stage_variables=self.api.stage_variables,
                route_key=route_key,
            )


class _WithoutStartupNotice(logging.Filter):
    """Drops werkzeug's startup lines ("This is a development server...", "Press CTRL+C to quit"):
    make run prints its own banner, and in red they read as an error. Request lines stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "This is a development server" not in message and "Press CTRL+C to quit" not in message


def main() -> None:
    logging.getLogger("werkzeug").addFilter(_WithoutStartupNotice())
    parser = argparse.ArgumentParser()
    parser.add_argument("--template", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--functions", required=True, help="JSON: logical id -> worker config")
    parser.add_argument("--max-workers", type=int, default=8)
    args = parser.parse_args()

    pools = {}
    for logical_id, config in json.loads(args.functions).items():
        pools[logical_id] = WarmWorkerPool(
            argv=[config["python"], "-m", "local.worker", config["handler"], config["code_dir"], *config["layer_dirs"]],
            # As Lambda sets them. The X-Ray SDK (Powertools' Tracer) reads LAMBDA_TASK_ROOT: outside
            # Lambda it would make an X-Ray client for its sampling rules at every worker's start.
            env={
                **os.environ,
                **config["environment"],
                "AWS_LAMBDA_FUNCTION_NAME": logical_id,
                "LAMBDA_TASK_ROOT": config["code_dir"],
            },
            cwd=config["cwd"],
            max_workers=args.max_workers,
            timeout=config["timeout"],
        )
        pools[logical_id].prewarm()

    stacks, _ = SamLocalStackProvider.get_stacks(args.template)
    service = LocalGateway(
        api=ApiProvider(stacks).api,
        lambda_runner=PooledLambdaRunner(pools),
        port=args.port,
        host=args.host,
    )
    service.expose_headers = tuple(declared_expose_headers(stacks))
    service.create()
    try:
        service.run()
    except (KeyboardInterrupt, ProcessSigTermException):
        pass  # Ctrl-C, or SIGTERM (which SAM's service turns into its own exception): stop quietly
    finally:
        # Shutting down: a second Ctrl-C or a SIGTERM must not interrupt stopping the workers.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for pool in pools.values():
            pool.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
