"""One account under many clients, with DynamoDB's conflict rules on a simulated clock (issue 15).

moto applies calls one at a time, so no local test shows what DynamoDB does when requests of one
account meet on its account item. This model does, for the benchmark only (never for `make run`):

- **A simulated clock.** Each client is a thread running the production domain code (updates and
  reads, exactly as the API function calls them) against moto in-process. Only one client runs at a
  time; when it makes an AWS call, it waits for the call's service time on a virtual clock, and the
  client whose call ends first runs next. Figures describe the design, not this machine's CPU.
- **Service times** (SERVICE_SECONDS): DynamoDB's documented single-digit milliseconds, as the cost
  model assumes (README, "Cost per million updates"): 4 ms for a read or a single write, 8 ms for a
  transaction (its two phases, as its 2 write units per item reflect), S3 20 ms for a PUT and 10 ms
  for a GET; plus FUNCTION_SECONDS of the function's own time per request.
- **Conflicts**, as DynamoDB documents them ("Transaction conflict handling in DynamoDB"): a
  TransactWriteItems that touches an item another transaction holds is cancelled
  (TransactionCanceledException, reason TransactionConflict); a PutItem, UpdateItem or DeleteItem
  of a held item fails with TransactionConflictException. A transaction holds its items for its
  whole service time. Reads never conflict.
- **Per-item throughput**: an item takes at most ITEM_WRITE_UNITS_PER_SECOND write units a second
  (a partition's limit, and one item lives in one partition); a transactional write costs 2 units
  an item, a single write 1. Over it, a transaction is cancelled with reason ThrottlingError and a
  single write fails with ThrottlingException.

The errors are HTTP answers handed to botocore at its `before-send` event, so botocore parses them
and applies its own retries, and the domain's own retries, as in Lambda; their sleeps run on the
virtual clock. What only a real table shows: the real latency distribution (here each call takes a
fixed time), adaptive capacity and burst credits, and the HTTP layer (not modelled: the domain is
driven directly).
"""

import heapq
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from unittest import mock

from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import BotocoreStubber, MockRawResponse

SERVICE_SECONDS = {
    "dynamodb:read": 0.004,
    "dynamodb:write": 0.004,
    "dynamodb:TransactWriteItems": 0.008,
    "s3:PutObject": 0.020,
    "s3:GetObject": 0.010,
    "s3:other": 0.010,
}
FUNCTION_SECONDS = 0.002  # the handler's own time per request (bench section 2 measures it)
ITEM_WRITE_UNITS_PER_SECOND = 1000
_DYNAMODB_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}


class Simulation:
    """A virtual clock, and the participants (clients, and tasks they hand to a thread pool) that run
    on it one at a time: the next to run is the one whose wake time is earliest."""

    def __init__(self):
        self.now = 0.0
        self._waiting: list[tuple[float, int, threading.Event]] = []
        self._sequence = 0
        self._running = 0  # participants executing now (at most one, but for a handover)
        self._turn = threading.Condition()

    def _park(self, at: float) -> None:
        wake = threading.Event()
        with self._turn:
            self._sequence += 1
            heapq.heappush(self._waiting, (at, self._sequence, wake))
            self._running -= 1
            self._turn.notify_all()
        wake.wait()

    def sleep(self, seconds: float) -> None:
        """Called by a participant: let virtual time pass, while the others run."""
        self._park(self.now + max(seconds, 0.0))

    def spawn(self, body: Callable[[], object]) -> "Participant":
        """`body` as a new participant, starting now: call the result on another thread (counted as
        running from this moment, so time never passes before it has taken its turn)."""
        with self._turn:
            self._running += 1
        return Participant(self, body, self.now)

    def run(self, clients: list[Callable[[], None]]) -> None:
        """Run every client to its end."""
        for client in clients:
            threading.Thread(target=self.spawn(client), daemon=True).start()
        while True:
            with self._turn:
                self._turn.wait_for(lambda: self._running == 0)
                if not self._waiting:
                    return
                self.now, _, wake = heapq.heappop(self._waiting)
                self._running += 1
            wake.set()


class Participant:
    def __init__(self, simulation: Simulation, body: Callable[[], object], starts_at: float):
        self._simulation = simulation
        self._body = body
        self._starts_at = starts_at
        self._done = False
        self._awaited = False  # another participant waits for this one's end, and takes its turn then

    def __call__(self):
        self._simulation._park(self._starts_at)
        try:
            return self._body()
        finally:
            with self._simulation._turn:
                self._done = True
                if not self._awaited:
                    self._simulation._running -= 1
                    self._simulation._turn.notify_all()

    def await_end(self, wait: Callable[[], object]) -> None:
        """Called by another participant: `wait` (a real wait for this one's end), not running meanwhile."""
        with self._simulation._turn:
            if self._done:
                return
            self._awaited = True
            self._simulation._running -= 1
            self._simulation._turn.notify_all()
        wait()  # this one's end hands its turn over: nothing else ran in between


class _SimulatedPool:
    """Stands in for a thread pool: each task is a participant of the simulation, on a thread of its
    own (a real pool's few workers, each held by a task waiting on the virtual clock, would leave
    the next tasks queued, and the simulation waiting for them, for ever)."""

    def __init__(self, simulation: Simulation):
        self._simulation = simulation

    def submit(self, function, *args, **kwargs):
        participant = self._simulation.spawn(lambda: function(*args, **kwargs))
        future: Future = Future()

        def run() -> None:
            try:
                future.set_result(participant())
            except BaseException as error:  # handed to whoever waits on the future, as a pool does
                future.set_exception(error)

        threading.Thread(target=run, daemon=True).start()
        return _SimulatedFuture(participant, future)


class _SimulatedFuture:
    def __init__(self, participant: Participant, future):
        self._participant = participant
        self._future = future

    def result(self, timeout=None):
        self._participant.await_end(self._future.exception)  # waits; raises nothing
        return self._future.result()


@dataclass
class Counts:
    transactions: int = 0
    single_writes: int = 0
    conflicts: int = 0  # transactions cancelled, and single writes refused, for another's transaction
    throttles: int = 0
    calls: int = 0


@dataclass
class DynamoDBRules:
    """DynamoDB's conflict and throughput rules, answered at botocore's `before-send`."""

    simulation: Simulation
    key_names: dict[str, list[str]]  # table name -> its key attributes
    held_until: dict[tuple, float] = field(default_factory=dict)
    units: dict[tuple, tuple[float, float]] = field(default_factory=dict)  # item -> (second, units used)
    counts: Counts = field(default_factory=Counts)

    def _item(self, table: str, values: dict) -> tuple:
        return table, json.dumps({name: values[name] for name in self.key_names[table]}, sort_keys=True)

    def _written(self, operation: str, body: dict) -> list[tuple]:
        if operation == "TransactWriteItems":
            items = []
            for action in body["TransactItems"]:
                ((kind, detail),) = action.items()
                items.append(self._item(detail["TableName"], detail["Item"] if kind == "Put" else detail["Key"]))
            return items
        return [self._item(body["TableName"], body["Item"] if operation == "PutItem" else body["Key"])]

    def _take_units(self, item: tuple, units: int) -> bool:
        second = int(self.simulation.now)
        started, used = self.units.get(item, (second, 0.0))
        if started != second:
            used = 0.0
        if used + units > ITEM_WRITE_UNITS_PER_SECOND:
            return False
        self.units[item] = (second, used + units)
        return True

    def on_send(self, request, event_name: str, **_) -> AWSResponse | None:
        operation = event_name.rsplit(".", 1)[-1]
        self.counts.calls += 1
        now = self.simulation.now
        if operation != "TransactWriteItems" and operation not in _DYNAMODB_WRITES:
            self.simulation.sleep(SERVICE_SECONDS["dynamodb:read"])
            return None  # moto answers
        body = json.loads(request.body)
        items = self._written(operation, body)
        transaction = operation == "TransactWriteItems"
        service = SERVICE_SECONDS["dynamodb:TransactWriteItems" if transaction else "dynamodb:write"]
        self.counts.transactions += transaction
        self.counts.single_writes += not transaction
        conflicted = [self.held_until.get(item, 0.0) > now for item in items]
        throttled = [False] * len(items)
        if not any(conflicted):
            throttled = [not self._take_units(item, 2 if transaction else 1) for item in items]
        if transaction and not any(conflicted) and not any(throttled):
            for item in items:
                self.held_until[item] = now + service
        self.simulation.sleep(service)
        if any(conflicted):
            self.counts.conflicts += 1
            return _answered(request, _conflict(transaction, conflicted))
        if any(throttled):
            self.counts.throttles += 1
            return _answered(request, _throttled(transaction, throttled))
        return None  # moto applies the write, at the end of its service time


# botocore calls every `before-send` handler and sends the first answer: moto's stub must not apply
# a request the model refused.
_refused = threading.local()


def _answered(request, answer: AWSResponse) -> AWSResponse:
    _refused.request = request
    return answer


def _unless_refused(stub):
    def answer(self, event_name, request, **kwargs):
        if getattr(_refused, "request", None) is request:
            _refused.request = None
            return None
        return stub(self, event_name, request, **kwargs)

    return answer


def _answer(error_type: str, message: str, **extra) -> AWSResponse:
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{error_type}", "message": message, **extra})
    headers = {"x-amzn-ErrorType": error_type, "Content-Type": "application/x-amz-json-1.0"}
    return AWSResponse("https://dynamodb.us-east-1.amazonaws.com/", 400, headers, MockRawResponse(body.encode()))


def _cancelled(failed: list[bool], code: str) -> AWSResponse:
    """A TransactionCanceledException as DynamoDB words it: `code` for each failed item, "None" for the others."""
    reasons = [{"Code": code} if failed_here else {"Code": "None"} for failed_here in failed]
    message = "Transaction cancelled, please refer cancellation reasons for specific reasons "
    message += "[" + ", ".join(reason["Code"] for reason in reasons) + "]"
    return _answer("TransactionCanceledException", message, CancellationReasons=reasons)


def _conflict(transaction: bool, conflicted: list[bool]) -> AWSResponse:
    if transaction:
        return _cancelled(conflicted, "TransactionConflict")
    return _answer("TransactionConflictException", "Transaction is ongoing for the item")


def _throttled(transaction: bool, throttled: list[bool]) -> AWSResponse:
    if transaction:
        return _cancelled(throttled, "ThrottlingError")
    return _answer("ThrottlingException", "Throughput exceeds the current capacity for one or more items")


def _s3_service(request, event_name: str, simulation: Simulation, **_) -> None:
    operation = event_name.rsplit(".", 1)[-1]
    simulation.sleep(SERVICE_SECONDS.get(f"s3:{operation}", SERVICE_SECONDS["s3:other"]))


class _VirtualTime:
    """The `time` module, but its sleep passes virtual time."""

    def __init__(self, simulation: Simulation):
        self.sleep = simulation.sleep

    def __getattr__(self, name: str):
        return getattr(time, name)


@contextmanager
def modelled(store, simulation: Simulation):
    """The store's clients answer as DynamoDB and S3 would under the model; every sleep of the code
    (its retries' backoff, botocore's) runs on the virtual clock."""
    tables = [
        store.settings.accounts_table,
        store.settings.keys_table,
        store.settings.bins_table,
        store.settings.bin_versions_table,
        store.settings.collections_table,
        store.settings.schema_docs_table,
        store.settings.idempotency_table,
    ]
    key_names = {
        table: [key["AttributeName"] for key in store.dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]]
        for table in tables
        if table
    }
    rules = DynamoDBRules(simulation, key_names)
    virtual_time = _VirtualTime(simulation)
    import botocore.endpoint

    from binstore import reads, retries
    from binstore.storage import charges, clients

    with ExitStack() as stack:
        # Every module that sleeps on a request's path (a bin's batched deletes sleep in clients').
        for module in (botocore.endpoint, retries, charges, clients):
            stack.enter_context(mock.patch.object(module, "time", virtual_time))
        stack.enter_context(mock.patch.object(BotocoreStubber, "__call__", _unless_refused(BotocoreStubber.__call__)))
        # A read's charge runs beside its fetch, on a thread pool: there, a participant too.
        stack.enter_context(mock.patch.object(reads, "_PARALLEL", _SimulatedPool(simulation)))
        store.dynamodb.meta.events.register_first("before-send.dynamodb", rules.on_send)
        s3_hook = lambda request, event_name, **kwargs: _s3_service(request, event_name, simulation)  # noqa: E731
        store.s3.meta.events.register_first("before-send.s3", s3_hook)
        try:
            yield rules
        finally:
            store.dynamodb.meta.events.unregister("before-send.dynamodb", rules.on_send)
            store.s3.meta.events.unregister("before-send.s3", s3_hook)
