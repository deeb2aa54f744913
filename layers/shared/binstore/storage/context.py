"""One batched read of what a request on a bin needs: the bin, the caller's key, its account."""

from binstore.model import Context
from binstore.settings import Settings
from binstore.storage.clients import batch_get_items
from binstore.storage.items import account_from, bin_from, key_from, to_item


def read_context(
    dynamodb, settings: Settings, bin_id: str | None, key_id: str | None, account_id: str | None
) -> Context:
    wanted = {}
    if bin_id is not None:
        wanted[settings.bins_table] = {"binId": bin_id}
    if key_id is not None:
        wanted[settings.keys_table] = {"keyId": key_id}
    if account_id is not None:
        wanted[settings.accounts_table] = {"accountId": account_id}
    request = {table: {"Keys": [to_item(key)], "ConsistentRead": True} for table, key in wanted.items()}
    found = dict(batch_get_items(dynamodb, request))
    return Context(
        bin=bin_from(found[settings.bins_table]) if settings.bins_table in found else None,
        key=key_from(found[settings.keys_table]) if settings.keys_table in found else None,
        account=account_from(found[settings.accounts_table]) if settings.accounts_table in found else None,
    )
