"""Finding record bodies that belong to no record, and handing them to the bucket's lifecycle rule.

Bodies are written before the commit that makes them live, so a few can end up belonging to
nothing: an update whose commit got no answer and did not apply, a function that died between its
upload and its commit, a bin deleted by a function that died before deleting its bodies, a replaced
body the stream's cleanup never got to. The sweep finds them and tags them; S3's lifecycle rule
deletes tagged bodies a day later (a day in which an operator can still untag one).

A body is only considered once it is older than `grace`: an update in flight uploads its body
seconds before committing, and no request runs longer than the function's timeout. A body is an
orphan when neither the bin item nor a version row of its generation points at it, in one
consistent snapshot (BinTables.referenced_bodies).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from binstore.storage import Store

GRACE = timedelta(hours=1)


@dataclass
class SweepReport:
    bins_checked: int = 0
    orphans_marked: int = 0
    bins_skipped: int = 0  # changed while being checked: looked at again by the next sweep
    orphans_gone: int = 0  # deleted between the listing and the tagging: nothing left to mark


def sweep(store: Store, now: datetime, grace: timedelta = GRACE) -> SweepReport:
    old_bodies: dict[str, list[str]] = defaultdict(list)
    for body in store.bodies.all():
        if now - body.written_at >= grace:
            old_bodies[body.bin_id].append(body.object_key)
    report = SweepReport()
    for bin_id, object_keys in old_bodies.items():
        referenced = store.bins.referenced_bodies(bin_id)
        if referenced is None:
            report.bins_skipped += 1
            continue
        report.bins_checked += 1
        for object_key in object_keys:
            if object_key not in referenced:
                if store.bodies.mark_orphan(object_key):
                    report.orphans_marked += 1
                else:
                    report.orphans_gone += 1
    return report
