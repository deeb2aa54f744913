"""The usage logs bucket, as the delivery pipeline writes it: `usage/<account id>/<YYYY-MM-DD>/<objects>`,
each object some of that day's usage lines (template.yaml's UsageDeliveryStream writes them, and
local/usage_delivery.py under `make run`).
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import date

from botocore.exceptions import ClientError

from binstore.storage.clients import Clients, aws_call, delete_objects, error_code, object_keys

PREFIX = "usage/"
# A busy account's day is up to 1,440 objects (one a minute): read this many at once, so a day
# takes seconds, not the minute 1,440 reads one after another would.
PARALLEL_READS = 16


def account_prefix(account_id: str) -> str:
    return f"{PREFIX}{account_id}/"


def day_prefix(account_id: str, day: date) -> str:
    return f"{account_prefix(account_id)}{day.isoformat()}/"


class UsageLogs:
    def __init__(self, bucket: str, clients: Clients):
        self.bucket = bucket
        self._clients = clients

    @aws_call
    def days(self, account_id: str) -> list[date]:
        """The days the account has usage lines for, in no particular order."""
        pages = self._clients.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=account_prefix(account_id), Delimiter="/"
        )
        days = []
        for page in pages:
            for common in page.get("CommonPrefixes", []):
                try:
                    days.append(date.fromisoformat(common["Prefix"].rstrip("/").rsplit("/", 1)[-1]))
                except ValueError:
                    continue  # not a day the pipeline wrote
        return days

    @aws_call
    def objects(self, account_id: str, day: date) -> list[tuple[str, int]]:
        """The objects holding the account's lines of `day`, as (key, size), in key order."""
        pages = self._clients.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=day_prefix(account_id, day)
        )
        return [(item["Key"], item["Size"]) for page in pages for item in page.get("Contents", [])]

    @aws_call
    def read_all(self, keys: list[str]) -> list[bytes]:
        """The objects' bodies, read PARALLEL_READS at a time; one that expired since it was listed
        is left out."""
        s3 = self._clients.s3

        def read(key: str) -> bytes:
            try:
                return s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            except ClientError as error:
                if error_code(error) == "NoSuchKey":
                    return b""
                raise

        with ThreadPoolExecutor(max_workers=PARALLEL_READS) as pool:
            return list(pool.map(read, keys))

    @aws_call
    def delete_account_logs(self, account_id: str) -> int:
        """Delete every usage log object of the account (an account's deletion); return how many."""
        keys = object_keys(self._clients.s3, self.bucket, account_prefix(account_id))
        delete_objects(self._clients.s3, self.bucket, keys)
        return len(keys)
