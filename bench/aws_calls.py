"""AWS calls an invocation makes, recorded from botocore's own event system (never counted by hand).

Calls are named and counted from botocore's events (`provide-client-params` carries the operation
and its parameters). Each is timed from the moment the client method is entered to the moment it
returns, so the SDK's own work (building, signing, parsing) and the emulated service's both count as
"inside an AWS call"; everything else an invocation does is the handler's.
"""

import threading
import time
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Call:
    operation: str  # "dynamodb:TransactWriteItems"
    started: float
    ended: float
    items: int  # DynamoDB items the call reads or writes (1 for anything else)


def _items(operation: str, params: dict) -> int:
    if operation == "BatchGetItem":
        return sum(len(table["Keys"]) for table in params.get("RequestItems", {}).values())
    if operation in ("TransactWriteItems", "TransactGetItems"):
        return len(params.get("TransactItems", ()))
    if operation == "BatchWriteItem":
        return sum(len(requests) for requests in params.get("RequestItems", {}).values())
    return 1


class CallRecorder:
    """Attach to boto3 clients; `calls` lists every call since the last `clear()`, in start order."""

    def __init__(self):
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._current = threading.local()  # the call this thread is in: (entered, operation, items)

    def attach(self, *clients) -> None:
        for client in clients:
            client.meta.events.register("provide-client-params", self._named)
            client._make_api_call = self._timed(client._make_api_call)

    def _timed(self, make_api_call):
        # Every client method (get_item, put_object, ...) goes through _make_api_call.
        def timed(operation_name, api_params):
            self._current.call = [time.perf_counter(), None, 1]
            try:
                return make_api_call(operation_name, api_params)
            finally:
                entered, operation, items = self._current.call
                call = Call(operation, entered, time.perf_counter(), items)
                with self._lock:
                    self._calls.append(call)

        return timed

    def _named(self, params, model, **_):
        self._current.call[1:] = [f"{model.service_model.service_name}:{model.name}", _items(model.name, params)]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return sorted(self._calls, key=lambda call: call.started)


def operations(calls: list[Call]) -> Counter:
    return Counter(call.operation for call in calls)


def round_trips(calls: list[Call]) -> int:
    """Sequential round trips: the longest chain of calls each starting after the one before ended.

    Calls in flight together (one thread uploading while another reads) count once.
    """
    chain: list[int] = []
    for index, call in enumerate(calls):
        before = [chain[earlier] for earlier in range(index) if calls[earlier].ended <= call.started]
        chain.append(1 + max(before, default=0))
    return max(chain, default=0)


def time_inside(calls: list[Call]) -> float:
    """Seconds during which at least one call was in flight (overlapping calls count once)."""
    total, covered_until = 0.0, float("-inf")
    for call in calls:
        start = max(call.started, covered_until)
        if call.ended > start:
            total += call.ended - start
            covered_until = call.ended
    return total
