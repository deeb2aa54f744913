"""Reading the bins table's stream: which record body a committed change left unreferenced.

It reads the bin items as stored (their attribute names), so it lives with storage.

An update that keeps no version replaces the bin's body: the old body then belongs to nothing.
Deleting it inside the request would cost a fourth sequential AWS call, so the bins table's stream
carries every change to a cleanup function instead. What the stream says happened did happen (it
only carries committed writes), so a body is deleted only once the bin has really moved past it.
"""


def unreferenced_body(old_image: dict | None, new_image: dict | None) -> str | None:
    """The object key a bin change left unreferenced, if any.

    A changed objectKey with an unchanged versionCount means the old body was replaced and not kept
    as a version (a kept version points at it from the versions table).
    """
    if not old_image or not new_image:
        return None
    old_key, new_key = old_image.get("objectKey"), new_image.get("objectKey")
    if old_key is None or old_key == new_key:
        return None
    if int(new_image.get("versionCount", 0)) != int(old_image.get("versionCount", 0)):
        return None
    return old_key
