"""Usage logs under `make run`: what template.yaml's pipeline does in AWS, from the template itself.

In AWS, the API function's log group has a subscription filter (UsageSubscription) that sends the
lines it matches to a Firehose stream (UsageDeliveryStream), which keeps each log event's message,
evaluates its MetadataExtraction jq query on it, and writes the lines under its Prefix with those
partition keys, a newline after each. moto runs neither subscriptions nor Firehose, so this does
the same steps with the template's own filter pattern, query (by jq, the engine Firehose runs) and
prefix, on the lines the local functions print, into the emulated usage logs bucket. Lines are
gathered for FLUSH_SECONDS, as Firehose buffers them (for a minute or more in AWS).
"""

import json
import re
import threading
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from uuid import uuid4

import jq

from local.template import load_template, local_names

FLUSH_SECONDS = 0.5
# The one shape of CloudWatch Logs filter pattern this reads: `{ $.a.b > 0 }` (a JSON number test).
_NUMBER_TEST = re.compile(r"\{\s*\$\.([\w.]+)\s*(>=|<=|=|>|<|!=)\s*(-?\d+(?:\.\d+)?)\s*\}")
_COMPARE = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
_PARTITION_KEY = re.compile(r"!\{partitionKeyFromQuery:(\w+)\}")


class UsagePipeline:
    """The subscription filter and the delivery stream's partitioning, as template.yaml declares them."""

    def __init__(self, template: dict | None = None):
        template = template or load_template()
        resources = template["Resources"]
        pattern = resources["UsageSubscription"]["Properties"]["FilterPattern"]
        matched = _NUMBER_TEST.fullmatch(pattern.strip())
        if matched is None:
            raise ValueError(f"the local stack cannot apply the filter pattern {pattern!r}")
        self._path = matched[1].split(".")
        self._compare = _COMPARE[matched[2]]
        self._threshold = float(matched[3])
        destination = resources["UsageDeliveryStream"]["Properties"]["ExtendedS3DestinationConfiguration"]
        self.prefix = destination["Prefix"]
        (query,) = (
            parameter["ParameterValue"]
            for processor in destination["ProcessingConfiguration"]["Processors"]
            if processor["Type"] == "MetadataExtraction"
            for parameter in processor["Parameters"]
            if parameter["ParameterName"] == "MetadataExtractionQuery"
        )
        self._query = jq.compile(query)
        bucket_logical_id = destination["BucketARN"]["Fn::GetAtt"][0]
        self.bucket = local_names(template)[bucket_logical_id]

    def matches(self, line: str) -> dict | None:
        """The line's JSON, if the subscription filter passes it on; None otherwise."""
        try:
            record = value = json.loads(line)
        except ValueError:
            return None
        for name in self._path:
            if not isinstance(value, dict) or name not in value:
                return None
            value = value[name]
        number_test = isinstance(value, (int, float)) and not isinstance(value, bool)
        return record if number_test and self._compare(value, self._threshold) else None

    def object_prefix(self, record: dict) -> str:
        """Where Firehose writes the record: its Prefix with the query's partition keys filled in."""
        keys = self._query.input_value(record).first()
        return _PARTITION_KEY.sub(lambda key: str(keys[key[1]]), self.prefix)

    def deliver(self, s3, lines: Iterable[str]) -> int:
        """Write the lines the filter passes, one object per partition; return how many were written."""
        by_prefix: dict[str, list[str]] = defaultdict(list)
        for line in lines:
            record = self.matches(line)
            if record is not None:
                by_prefix[self.object_prefix(record)].append(line.strip())
        stamp = datetime.now(UTC).strftime("%Y-%m-%d-%H-%M-%S")
        for prefix, partition in by_prefix.items():
            body = "".join(line + "\n" for line in partition)  # AppendDelimiterToRecord
            s3.put_object(Bucket=self.bucket, Key=f"{prefix}local-usage-{stamp}-{uuid4()}", Body=body.encode())
        return sum(len(partition) for partition in by_prefix.values())


class LocalDelivery:
    """Takes every line the local functions print; delivers the usage lines every FLUSH_SECONDS."""

    def __init__(self, s3, pipeline: UsagePipeline | None = None):
        self._s3 = s3
        self._pipeline = pipeline or UsagePipeline()
        self._pending: list[str] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="usage-delivery", daemon=True)

    def start(self) -> "LocalDelivery":
        self._thread.start()
        return self

    def take(self, line: str) -> None:
        if '"usage"' in line:  # cheap: most lines are other logs
            with self._lock:
                self._pending.append(line)

    def flush(self) -> None:
        with self._lock:
            lines, self._pending = self._pending, []
        if lines:
            try:
                self._pipeline.deliver(self._s3, lines)
            except Exception as error:  # the local stack keeps serving; the lines wait for the next try
                print(f"usage delivery failed, will retry: {error}", flush=True)
                with self._lock:
                    self._pending[:0] = lines

    def _run(self) -> None:
        while not self._stopped.wait(FLUSH_SECONDS):
            self.flush()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self.flush()


def pump(stream, delivery: LocalDelivery, echo) -> None:
    """Copy a process's output to `echo` line by line, handing each line to `delivery` too."""
    for line in stream:
        echo.write(line)
        echo.flush()
        delivery.take(line)
