"""moto, made as atomic as AWS.

DynamoDB applies each call atomically: a conditional write or a transaction is checked and applied
as one step. moto does not lock its backends, so two threads can both pass the same condition and a
concurrency bug would be invisible or, as here, correct code would appear to lose updates. Running
one emulated call at a time restores the guarantee our code relies on; it costs nothing that matters
locally.
"""

import threading
from contextlib import contextmanager
from unittest import mock

from moto.core.botocore_stubber import BotocoreStubber
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

_ONE_CALL_AT_A_TIME = threading.RLock()


class AtomicMotoServer(ThreadedMotoServer):
    """moto's threaded server, answering one AWS call at a time."""

    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)

        def atomic_app(environ, start_response):
            with _ONE_CALL_AT_A_TIME:
                # moto builds the whole response inside the call; materialise it under the lock.
                return list(app(environ, start_response))

        self._server = make_server(self._ip_address, self._port, atomic_app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


@contextmanager
def atomic_in_process_calls():
    """Within mock_aws(): each intercepted boto3 call runs alone."""
    original = BotocoreStubber.__call__

    def atomic_call(self, *args, **kwargs):
        with _ONE_CALL_AT_A_TIME:
            return original(self, *args, **kwargs)

    with mock.patch.object(BotocoreStubber, "__call__", atomic_call):
        yield
