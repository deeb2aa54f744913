"""moto, made as atomic as AWS, and as idempotent.

DynamoDB applies each call atomically: a conditional write or a transaction is checked and applied
as one step. moto does not lock its backends, so two threads can both pass the same condition and a
concurrency bug would be invisible or, as here, correct code would appear to lose updates. Running
one emulated call at a time restores the guarantee our code relies on; it costs nothing that matters
locally.

DynamoDB also honours a transaction's ClientRequestToken, which moto ignores: for 10 minutes after a
transaction with a token succeeded, the same transaction sent again with that token answers success
and changes nothing, and a different one under the token is refused (IdempotentParameterMismatch).
Storage resends a commit whose answer was lost with its token to learn whether it was applied, so the
emulation does what DynamoDB documents
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html).
"""

import json
import threading
import time
from contextlib import ExitStack, contextmanager
from unittest import mock

from moto.core.botocore_stubber import BotocoreStubber
from moto.core.responses import ActionResult
from moto.dynamodb.exceptions import DynamodbException
from moto.dynamodb.responses import DynamoHandler
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

_ONE_CALL_AT_A_TIME = threading.RLock()
TOKEN_WINDOW_SECONDS = 10 * 60


class _IdempotentParameterMismatch(DynamodbException):
    def __init__(self):
        super().__init__(
            "IdempotentParameterMismatchException",
            "The request uses the same client token as a previous, but non-identical request.",
        )


@contextmanager
def honoured_transaction_tokens():
    """moto's TransactWriteItems, answering a repeated ClientRequestToken as DynamoDB does."""
    original = DynamoHandler.transact_write_items
    succeeded: dict[str, tuple[float, str]] = {}  # token: (when, the transaction it was sent with)

    def transact_write_items(handler: DynamoHandler):
        token = handler.body.get("ClientRequestToken")
        if token is None:
            return original(handler)
        transaction = json.dumps(handler.body["TransactItems"], sort_keys=True)
        seen = succeeded.get(token)
        if seen is not None and time.monotonic() - seen[0] < TOKEN_WINDOW_SECONDS:
            if seen[1] != transaction:
                raise _IdempotentParameterMismatch()
            return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
        result = original(handler)  # raises if cancelled: only a success is remembered
        succeeded[token] = (time.monotonic(), transaction)
        return result

    with mock.patch.object(DynamoHandler, "transact_write_items", transact_write_items):
        yield


class AtomicMotoServer(ThreadedMotoServer):
    """moto's threaded server, answering one AWS call at a time."""

    bind_error: OSError | None = None

    def start(self) -> None:
        """Start serving; OSError if the port cannot be bound (moto's own server would wait forever)."""
        super().start()
        if self.bind_error is not None:
            raise self.bind_error

    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)

        def atomic_app(environ, start_response):
            with _ONE_CALL_AT_A_TIME:
                # moto builds the whole response inside the call; materialise it under the lock.
                return list(app(environ, start_response))

        try:
            self._server = make_server(
                self._ip_address, self._port, atomic_app, True, request_handler=MotoRequestHandler
            )
        except OSError as error:
            self.bind_error = error  # taken since make run checked it: start() says so
            self._server_ready_event.set()
            return
        self._server_ready_event.set()
        with honoured_transaction_tokens():
            self._server.serve_forever()


@contextmanager
def atomic_in_process_calls():
    """Within mock_aws(): each intercepted boto3 call runs alone, and transaction tokens are honoured."""
    original = BotocoreStubber.__call__

    def atomic_call(self, *args, **kwargs):
        with _ONE_CALL_AT_A_TIME:
            return original(self, *args, **kwargs)

    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(BotocoreStubber, "__call__", atomic_call))
        stack.enter_context(honoured_transaction_tokens())
        yield
