"""Usage logs (JSONBin v3 `/v3/l`): what each request did to an account's bins and resources, by day.

The request path makes no AWS call for them. The API function prints one line per request that
concerns an account (`usage_line`: time, method, route, bin id, status; never a key, a header or a
body), and a managed pipeline delivers it: a CloudWatch Logs subscription on the function's log
group sends the lines to Kinesis Data Firehose, which partitions them by account and day into the
usage logs bucket (`usage/<account id>/<YYYY-MM-DD>/`, see template.yaml's UsageDeliveryStream).
Under `make run`, local/usage_delivery.py does the pipeline's work from the same template. The
routes here list those days and serve one day's lines as a zip.

Which account a request concerns is learnt where the domain learns it (access.identify for the
caller's key, access.authorise_bin for the bin's owner), through binstore.attribution. An account's
log holds the requests made with one of its keys, and the requests without a key that succeeded on
its public bins (and spent its requests). A request with no valid key of the account that was
refused is in nobody's log: otherwise anyone who knows a bin id could fill its owner's log for free.
"""

import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from binstore import errors
from binstore.access import Credentials, acting_account, require_key
from binstore.allowance import spending
from binstore.attribution import attributed
from binstore.storage import Store

KEY_REQUIRED = "You need to pass X-Master-Key in the header"
MB = 1024 * 1024
# A day's stored lines larger than this are not zipped in a request (a 10 s, 512 MB function with
# about a third of a CPU): at some 200 bytes a line it is 80,000 requests in a day.
MAX_DAY_BYTES = 16 * MB
# Lambda answers at most 6 MB and a zip goes out base64-encoded (4/3 larger). Lines zip about
# tenfold, so a day under MAX_DAY_BYTES always fits; this is the guard if it ever did not. No
# redirect to a link instead: clients that follow one (curl -L, fetch) send the master key along
# to the link's host.
MAX_ZIP_BYTES = 4 * MB
# What a user's log line holds, in this order: never a key, a header or a body.
LINE_FIELDS = ("time", "method", "route", "binId", "status")

_JSONBIN_DAY = re.compile(r"([0-9]{2})-([0-9]{2})-([0-9]{4})")  # ASCII digits only


def usage_line(when: datetime, method: str, route: str, status: int) -> str | None:
    """The line the API function prints for the request that just ended, if it concerned an account.

    `account` and `day` are what the pipeline partitions by (template.yaml's MetadataExtraction
    query reads `.usage.account` and `.usage.day`); `route` is the template's (`/v3/b/{binId}`), so
    no caller-written path reaches a log; `binId` is a bin the request found.
    """
    attribution = attributed()
    if attribution is None or attribution.account_id is None:
        return None
    if not attribution.by_key and status >= 400:
        return None  # a stranger's refused request on a public bin: theirs to see, not the owner's
    when = when.astimezone(UTC)
    usage = {
        "account": attribution.account_id,
        "day": when.date().isoformat(),
        "time": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "method": method,
        "route": route,
        "binId": attribution.bin_id,
        "status": status,
    }
    return json.dumps({"usage": usage}, separators=(",", ":"))


def jsonbin_day(day: date) -> str:
    """A day as JSONBin writes it in these routes: DD-MM-YYYY (the year in four digits, even year 1)."""
    return f"{day.day:02d}-{day.month:02d}-{day.year:04d}"


def parse_jsonbin_day(text: str) -> date:
    matched = _JSONBIN_DAY.fullmatch(text)
    if matched is None:
        raise errors.InvalidLogDay()
    day, month, year = (int(part) for part in matched.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise errors.InvalidLogDay() from None


def log_days(store: Store, credentials: Credentials) -> list[str]:
    """GET /v3/l: the days the account has a log for, newest first, as DD-MM-YYYY."""
    account = acting_account(store, credentials, key_required=KEY_REQUIRED)
    days = sorted(store.usage.days(account.account_id), reverse=True)
    if not days:
        raise errors.NoLogsFound()
    with spending(store.settings.buy_requests_at):
        store.charges.spend(account.account_id)
    return [jsonbin_day(day) for day in days]


@dataclass(frozen=True)
class DayLog:
    file_name: str
    archive: bytes  # the zip


def user_lines(stored: Iterable[bytes], account_id: str, day: date) -> list[str]:
    """The account's log lines of `day` from what the pipeline stored: the fields of LINE_FIELDS
    only, in time order (the pipeline's objects may overlap in time). Only lines that name this
    account and day: a line the pipeline put in the wrong place is left out, never shown to another
    account; so is a line that is not a usage line, rather than failing the whole day."""
    lines: list[tuple[str, str]] = []  # (time, line): kept as text, so a big day stays small in memory
    for chunk in stored:
        for raw in chunk.splitlines():
            try:
                usage = json.loads(raw)["usage"]
                if usage["account"] != account_id or usage["day"] != day.isoformat():
                    continue
                line = {name: usage[name] for name in LINE_FIELDS}
            except (ValueError, KeyError, TypeError):
                continue
            lines.append((str(line["time"]), json.dumps(line, separators=(",", ":"))))
    lines.sort()
    return [line for _, line in lines]


def zip_lines(file_name: str, lines: list[str]) -> bytes:
    buffer = io.BytesIO()
    # The fastest deflate level: JSON lines still shrink about tenfold, in a third of the time.
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(file_name, "".join(line + "\n" for line in lines))
    return buffer.getvalue()


def day_log(store: Store, credentials: Credentials, day_text: str) -> DayLog:
    """GET /v3/l/<DD-MM-YYYY>: that day's log as a zip of JSON lines (one a request)."""
    require_key(credentials, key_required=KEY_REQUIRED)
    day = parse_jsonbin_day(day_text)
    account = acting_account(store, credentials, key_required=KEY_REQUIRED)
    objects = store.usage.objects(account.account_id, day)
    if not objects:
        raise errors.LogNotFound(jsonbin_day(day))
    if sum(size for _, size in objects) > MAX_DAY_BYTES:
        raise errors.LogTooLarge(jsonbin_day(day), MAX_DAY_BYTES // MB)
    name = f"{jsonbin_day(day)}.log"
    stored = store.usage.read_all([key for key, _ in objects])
    lines = user_lines(stored, account.account_id, day)
    if not lines:
        raise errors.LogNotFound(jsonbin_day(day))
    archive = zip_lines(name, lines)
    if len(archive) > MAX_ZIP_BYTES:
        raise errors.LogTooLarge(jsonbin_day(day), MAX_DAY_BYTES // MB)
    with spending(store.settings.buy_requests_at):
        store.charges.spend(account.account_id)
    return DayLog(f"usage-{jsonbin_day(day)}.zip", archive)
