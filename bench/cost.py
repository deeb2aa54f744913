"""What a million updates cost, from the calls an update makes and its measured time.

Prices are AWS's published on-demand list prices for US East (N. Virginia), first tier, without the
free tier, as of PRICES_AS_OF; the README's performance section holds the same table.

Lambda bills the invocation's duration, which on AWS is the handler's own time on Lambda's CPU plus
the time it waits on DynamoDB and S3. Neither can be measured here, so both are estimated, and the
assumptions are printed beside the figures:
- Lambda gives a function CPU in proportion to its memory, a whole vCPU at 1,769 MB: the handler's
  own time measured on one core here is scaled by 1769 / memory.
- Each sequential round trip waits a typical in-region latency (ROUND_TRIP_MS), and an S3 upload
  waits for its bytes too.
"""

import math
from dataclasses import dataclass

PRICES_AS_OF = "2026-11-25"
HTTP_API_PER_MILLION = 1.00  # first 300 million a month
HTTP_API_METERED_BYTES = 512 * 1024  # a request is metered in 512 KB increments
LAMBDA_PER_MILLION_REQUESTS = 0.20
LAMBDA_PER_GB_SECOND = {"arm64": 0.0000133334, "x86_64": 0.0000166667}
DYNAMODB_PER_MILLION_WRITE_UNITS = 0.625  # on-demand; 1 KB per unit, 2 units per item in a transaction
DYNAMODB_PER_MILLION_READ_UNITS = 0.125  # on-demand; 4 KB per unit, strongly consistent
S3_PER_THOUSAND_PUTS = 0.005  # S3 Standard PUT, COPY, POST, LIST
S3_PER_THOUSAND_GETS = 0.0004
CLOUDWATCH_LOGS_PER_GB = 0.50  # ingestion, standard class

FULL_VCPU_MB = 1769
# Assumed in-region latencies (ms) per call, typical medians: assumptions, not measurements.
ROUND_TRIP_MS = {"dynamodb": 4.0, "dynamodb:TransactWriteItems": 8.0, "s3": 20.0}
S3_UPLOAD_MB_PER_SECOND = 100.0

# Capacity units per item, by DynamoDB operation (items well under 1 KB, read strongly consistent).
_WRITE_UNITS = {"TransactWriteItems": 2, "PutItem": 1, "UpdateItem": 1, "DeleteItem": 1, "BatchWriteItem": 1}
_READ_UNITS = {"BatchGetItem": 1, "GetItem": 1, "Query": 1, "TransactGetItems": 2}


@dataclass(frozen=True)
class Cost:
    api_gateway: float
    lambda_requests: float
    lambda_duration: float
    dynamodb: float
    s3: float
    logs: float
    duration_ms: float  # the estimated billed duration of one update

    @property
    def total(self) -> float:
        return self.api_gateway + self.lambda_requests + self.lambda_duration + self.dynamodb + self.s3 + self.logs


def waiting_ms(operations: dict[str, int], body_bytes: int) -> float:
    """Time an update waits on AWS, if its calls run one after another (as a warm update's do)."""
    total = 0.0
    for operation, count in operations.items():
        service = operation.split(":", 1)[0]
        latency = ROUND_TRIP_MS.get(operation, ROUND_TRIP_MS[service])
        if operation == "s3:PutObject":
            latency += body_bytes / (S3_UPLOAD_MB_PER_SECOND * 1024 * 1024) * 1000
        total += latency * count
    return total


def duration_ms(own_ms: float, operations: dict[str, int], body_bytes: int, memory_mb: int) -> float:
    return own_ms * FULL_VCPU_MB / memory_mb + waiting_ms(operations, body_bytes)


def per_million(
    operations: dict[str, int],
    items: dict[str, int],
    own_ms: float,
    body_bytes: int,
    log_bytes: float,
    memory_mb: int = 512,
    architecture: str = "arm64",
) -> Cost:
    """Dollars per million updates, each making `operations` (touching `items` items per operation)."""
    billed_ms = math.ceil(duration_ms(own_ms, operations, body_bytes, memory_mb))
    write_units = read_units = s3_puts = s3_gets = 0
    for operation, count in operations.items():
        service, name = operation.split(":", 1)
        if service == "dynamodb":
            write_units += _WRITE_UNITS.get(name, 0) * items.get(operation, 1) * count
            read_units += _READ_UNITS.get(name, 0) * items.get(operation, 1) * count
        elif name in ("PutObject", "CopyObject", "ListObjectsV2"):
            s3_puts += count
        elif name == "GetObject":
            s3_gets += count
    million = 1_000_000
    return Cost(
        api_gateway=math.ceil(max(body_bytes, 1) / HTTP_API_METERED_BYTES) * HTTP_API_PER_MILLION,
        lambda_requests=LAMBDA_PER_MILLION_REQUESTS,
        lambda_duration=million * billed_ms / 1000 * memory_mb / 1024 * LAMBDA_PER_GB_SECOND[architecture],
        dynamodb=write_units * DYNAMODB_PER_MILLION_WRITE_UNITS + read_units * DYNAMODB_PER_MILLION_READ_UNITS,
        s3=million * (s3_puts * S3_PER_THOUSAND_PUTS + s3_gets * S3_PER_THOUSAND_GETS) / 1000,
        logs=million * log_bytes / 1024**3 * CLOUDWATCH_LOGS_PER_GB,
        duration_ms=billed_ms,
    )
