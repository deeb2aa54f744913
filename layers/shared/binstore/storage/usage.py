"""The usage logs bucket, as the delivery pipeline writes it: `usage/<account id>/<YYYY-MM-DD>/<objects>`,
each object some of that day's usage lines (template.yaml's UsageDeliveryStream writes them, and
local/usage_delivery.py under `make run`). A day too large to answer inline is put under
`exports/<account id>/`, which a lifecycle rule empties a day later, and handed out as a
short-lived presigned link.
"""

from datetime import date
from uuid import uuid4

from binstore.storage.clients import Clients, aws_call

PREFIX = "usage/"
EXPORTS = "exports/"
# How long a link to an exported day stays valid: long enough to follow a redirect, no longer.
LINK_SECONDS = 300


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
    def read(self, key: str) -> bytes:
        return self._clients.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    @aws_call
    def export(self, account_id: str, file_name: str, archive: bytes) -> str:
        """Put `archive` where a link can serve it; return a link valid for LINK_SECONDS."""
        key = f"{EXPORTS}{account_id}/{uuid4().hex}/{file_name}"
        self._clients.s3.put_object(Bucket=self.bucket, Key=key, Body=archive, ContentType="application/zip")
        return self._clients.s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{file_name}"',
            },
            ExpiresIn=LINK_SECONDS,
        )
