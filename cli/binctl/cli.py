"""binctl: the operator's provisioning CLI.

Talks to AWS through boto3 and the standard environment (AWS_PROFILE, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL,
...). Table and bucket names come from a deployed stack's Outputs with --stack NAME; otherwise from
the variables the function uses (ACCOUNTS_TABLE, ...), which default to the names of `make run`'s
local stack (binctl.resources). Every command prints one JSON object on stdout;
a failure prints a message on stderr and exits non-zero.
"""

import argparse
import json
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from binctl import resources
from binstore import (
    access,
    access_keys,
    account_deletion,
    bins,
    collections,
    migrations,
    model,
    provisioning,
    schema_docs,
    sweeping,
)
from binstore.access import PERMISSIONS, Credentials
from binstore.errors import BinStoreError
from binstore.model import Account, StorageUnavailable, StoredKey, jsonbin_time
from binstore.plans import PLANS
from binstore.storage import Store
from binstore.storage.clients import CLIENT_CONFIG


class UsageError(Exception):
    pass


def account_create(store: Store, args) -> dict:
    created = provisioning.create_account(store, args.plan, args.requests)
    return {
        "accountId": created.account.account_id,
        "masterKey": created.master_key,
        "plan": created.account.plan,
        "requestsRemaining": created.account.requests_remaining,
    }


def _requests(account: Account) -> dict:
    return {"accountId": account.account_id, "plan": account.plan, "requestsRemaining": account.requests_remaining}


def account_show(store: Store, args) -> dict:
    summary = provisioning.describe_account(store, args.account_id)
    return {
        **_requests(summary.account),
        "bins": summary.bins,
        "accessKeys": summary.access_keys,
        "createdAt": summary.account.created_at,
    }


def account_list(store: Store, args) -> dict:
    return {
        "accounts": [
            {**_requests(account), "createdAt": account.created_at} for account in provisioning.list_accounts(store)
        ]
    }


def account_set_requests(store: Store, args) -> dict:
    return _requests(provisioning.set_requests(store, args.account_id, args.requests))


def account_add_requests(store: Store, args) -> dict:
    return {**_requests(provisioning.add_requests(store, args.account_id, args.requests)), "added": args.requests}


def account_set_plan(store: Store, args) -> dict:
    return _requests(provisioning.set_plan(store, args.account_id, args.plan))


def account_rotate_key(store: Store, args) -> dict:
    rotation = provisioning.rotate_master_key(store, args.account_id, timedelta(minutes=args.grace_minutes))
    return {
        "accountId": rotation.account_id,
        "masterKey": rotation.master_key,
        "masterKeyId": rotation.master_key_id,
        "revoked": rotation.revoked,
        "expiring": [{"keyId": key_id, "expiresAt": jsonbin_time(at)} for key_id, at in rotation.expiring.items()],
    }


def account_delete(store: Store, args) -> dict:
    if not args.yes:
        found = account_deletion.owned(store, args.account_id)
        raise UsageError(
            f"account delete deletes account {args.account_id} for good, with everything it owns: keys (master "
            f"and access): {found.keys}; bins, with every version and record body: {found.bins}; collections: "
            f"{found.collections}; schema docs: {found.schema_docs}; its usage logs and its allowance. Its "
            "record bodies stay recoverable, as noncurrent versions in the records bucket, for the stack's "
            "NoncurrentBodyRetentionDays (7 by default), then expire (docs/operations.md). Add --yes to delete it"
        )
    deleted = account_deletion.delete_account(store, args.account_id)
    return {
        "accountId": args.account_id,
        "deleted": {
            "keys": deleted.keys,
            "bins": deleted.bins,
            "versionRows": deleted.version_rows,
            "bodies": deleted.bodies,
            "collections": deleted.collections,
            "schemaDocs": deleted.schema_docs,
            "usageLogObjects": deleted.usage_log_objects,
            "accounts": deleted.accounts,
        },
    }


def _master(args) -> Credentials:
    return Credentials(master_key=args.master_key)


def _key_summary(key) -> dict:
    return {
        "accessKeyId": key.key_id,
        "name": key.name,
        "permissions": [name for name in PERMISSIONS if name in key.permissions],
        "createdAt": key.created_at,
    }


def key_create(store: Store, args) -> dict:
    permissions = frozenset(provisioning.parse_permissions(args.permissions))
    created = access_keys.create_access_key(store, _master(args), args.name, permissions, charged=False)
    return {"accessKey": created.plaintext, **_key_summary(created.key)}


def _any_key_summary(key: StoredKey) -> dict:
    """A key of either kind, as the operator sees it: never its hash, which binctl never prints."""
    summary: dict[str, object] = {
        "keyId": key.key_id,
        "kind": key.kind,
        "name": key.name,
        "permissions": [name for name in PERMISSIONS if name in key.permissions],
        "createdAt": key.created_at,
    }
    if key.expires_at is not None:
        summary["expiresAt"] = jsonbin_time(key.expires_at)
        # Past it, the key is refused; it stays stored until the next rotation deletes it.
        summary["expired"] = not access.in_force(key, model.now())
    return summary


def key_list(store: Store, args) -> dict:
    if args.account is not None:
        keys = provisioning.account_keys(store, args.account)
        return {"accountId": args.account, "keys": [_any_key_summary(key) for key in keys]}
    return {"accessKeys": [_key_summary(key) for key in access_keys.list_access_keys(store, _master(args), False)]}


def key_revoke(store: Store, args) -> dict:
    revoked = access_keys.revoke_access_key(store, _master(args), args.key)
    return {"revoked": True, "accessKeyId": revoked.key_id}


def schema_create(store: Store, args) -> dict:
    try:
        body = Path(args.file).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {args.file}: {error.strerror}") from None
    doc = schema_docs.create_schema_doc(store, _master(args), args.name, body)
    return {"id": doc.schema_doc_id}


def collection_create(store: Store, args) -> dict:
    collection = collections.create_collection(store, _master(args), args.name)
    if args.schema_doc:
        collections.attach_schema_doc(store, _master(args), collection.collection_id, args.schema_doc)
    return {"id": collection.collection_id}


def bin_create(store: Store, args) -> dict:
    created = bins.create_bin(
        store,
        _master(args),
        args.data.encode("utf-8"),
        private=not args.public,
        name=args.name,
        collection_id=args.collection,
    )
    return {"id": created.bin.bin_id}


def bin_get(store: Store, args) -> dict:
    stored = provisioning.operator_read(store, args.bin_id, args.version)
    metadata = {
        "id": stored.bin.bin_id,
        "private": stored.bin.private,
        "createdAt": stored.bin.created_at,
        "versionCount": stored.bin.version_count,
    }
    if stored.bin.name is not None:
        metadata["name"] = stored.bin.name
    if stored.bin.collection_id:
        metadata["collectionId"] = stored.bin.collection_id
    if stored.version is not None:
        metadata["version"] = stored.version
    return {"record": json.loads(stored.json_text), "metadata": metadata}


def migrate(store: Store, args) -> dict:
    return migrations.migrate(store)


def bodies_sweep(store: Store, args) -> dict:
    report = sweeping.sweep(store, datetime.now(UTC), timedelta(minutes=args.grace_minutes))
    return vars(report)


def stack_show(store: Store, args) -> dict:
    return resources.stack_outputs(args.stack)  # main refuses `stack` without --stack


MAX_SWEEP_GRACE_MINUTES = 366 * 24 * 60


def _count_up_to(maximum: int):
    """An argparse type: a whole number from 0 to `maximum`, in ASCII digits (int() would also take
    '٣', '1_000' or a sign)."""

    def count(text: str) -> int:
        if not re.fullmatch(r"[0-9]{1,20}", text) or int(text) > maximum:
            raise argparse.ArgumentTypeError(f"must be a whole number from 0 to {maximum}")
        return int(text)

    return count


# A count of requests (or a version): up to the most requests an account may have left.
_count = _count_up_to(provisioning.MAX_REQUESTS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="binctl",
        description=__doc__.split("\n\n")[0],
        epilog="Which stack: --stack NAME acts on a deployed stack, with the AWS credentials and region of the "
        "environment (AWS_PROFILE, AWS_DEFAULT_REGION or AWS_REGION). Without --stack, binctl acts on "
        "make run's local stack, through "
        "AWS_ENDPOINT_URL=http://127.0.0.1:<MOTO_PORT> (make run prints the line to export; region and "
        "credentials may be left unset); it refuses no AWS_ENDPOINT_URL, or one not on this machine.",
    )
    parser.add_argument("--stack", help="a deployed binstore stack: read table and bucket names from its Outputs")
    resources = parser.add_subparsers(dest="resource", required=True)

    account = resources.add_parser("account", help="accounts and their master keys")
    account_commands = account.add_subparsers(dest="command", required=True)
    create = account_commands.add_parser("create", help="create an account; prints its master key once")
    create.add_argument("--plan", choices=sorted(PLANS), required=True)
    create.add_argument("--requests", type=_count, help="request allowance (default: free 10000, pro 100000)")
    create.set_defaults(run=account_create)
    show = account_commands.add_parser(
        "show", help="an account: plan, exact requests left, bins, access keys, when it was made"
    )
    show.add_argument("account_id")
    show.set_defaults(run=account_show)
    listing = account_commands.add_parser("list", help="every account: plan, requests left, when it was made")
    listing.set_defaults(run=account_list)
    set_requests = account_commands.add_parser(
        "set-requests", help="set the account's requests left (forgets what requests spend meanwhile)"
    )
    set_requests.add_argument("account_id")
    set_requests.add_argument("requests", type=_count)
    set_requests.set_defaults(run=account_set_requests)
    add_requests = account_commands.add_parser(
        "add-requests", help="add requests to the account's allowance, exactly, beside live traffic"
    )
    add_requests.add_argument("account_id")
    add_requests.add_argument("requests", type=_count, help="how many to add (set-requests lowers)")
    add_requests.set_defaults(run=account_add_requests)
    set_plan = account_commands.add_parser("set-plan", help="put the account on another plan; its requests stay")
    set_plan.add_argument("account_id")
    set_plan.add_argument("plan", choices=sorted(PLANS))
    set_plan.set_defaults(run=account_set_plan)
    rotate = account_commands.add_parser(
        "rotate-key", help="a new master key, printed once; the old one refused at once, or after a grace period"
    )
    rotate.add_argument("account_id")
    rotate.add_argument(
        "--grace-minutes",
        type=_count_up_to(int(provisioning.MAX_ROTATION_GRACE.total_seconds() // 60)),
        default=0,
        help="keep accepting the old master key this long, for clients to switch "
        f"(default 0: refused at once; at most {provisioning.MAX_ROTATION_GRACE.days} days)",
    )
    rotate.set_defaults(run=account_rotate_key)
    delete = account_commands.add_parser(
        "delete", help="delete the account and everything it owns, for good (needs --yes); safe to run again"
    )
    delete.add_argument("account_id")
    delete.add_argument("--yes", action="store_true", help="yes, delete it and everything it owns")
    delete.set_defaults(run=account_delete)

    key = resources.add_parser("key", help="access keys (X-Access-Key); same code as /v3/a, spending no requests")
    key_commands = key.add_subparsers(dest="command", required=True)
    create = key_commands.add_parser("create", help="create an access key (at most 4 an account); prints it once")
    create.add_argument("--master-key", required=True)
    create.add_argument("--name", default="binctl", help="up to 32 characters")
    create.add_argument(
        "--permissions", required=True, help="what it may do to the account's bins: some of create,read,update,delete"
    )
    create.set_defaults(run=key_create)
    listing = key_commands.add_parser(
        "list",
        help="with --master-key, the account's access keys (as GET /v3/a); with --account, the operator's "
        "view: every key of the account, master keys included (never a key or its hash)",
    )
    whose = listing.add_mutually_exclusive_group(required=True)
    whose.add_argument("--master-key")
    whose.add_argument("--account", help="an account id: no key needed")
    listing.set_defaults(run=key_list)
    revoke = key_commands.add_parser("revoke", help="revoke an access key, at once")
    revoke.add_argument("--master-key", required=True)
    revoke.add_argument("--key", "--access-key", dest="key", required=True, help="the key's id, or the key itself")
    revoke.set_defaults(run=key_revoke)

    schema = resources.add_parser("schema", help="schema docs (JSON Schema); same as POST /v3/s")
    create = schema.add_subparsers(dest="command", required=True).add_parser("create")
    create.add_argument("--master-key", required=True)
    create.add_argument("--name", default="Schema Doc", help="up to 32 characters")
    create.add_argument("--file", required=True, help="a JSON Schema document")
    create.set_defaults(run=schema_create)

    collection = resources.add_parser("collection", help="collections of bins; same as POST /v3/c")
    create = collection.add_subparsers(dest="command", required=True).add_parser("create")
    create.add_argument("--master-key", required=True)
    create.add_argument("--name", default="Collection", help="up to 32 characters")
    create.add_argument("--schema-doc", help="id of a schema doc that validates the collection's bins")
    create.set_defaults(run=collection_create)

    bins = resources.add_parser("bin", help="bins")
    bin_commands = bins.add_subparsers(dest="command", required=True)
    create = bin_commands.add_parser("create", help="create a bin (private unless --public); same as POST /v3/b")
    create.add_argument("--master-key", required=True)
    create.add_argument("--public", action="store_true")
    create.add_argument("--name", help="1 to 128 characters")
    create.add_argument("--collection")
    create.add_argument("--data", required=True, help="the bin's first record, as JSON")
    create.set_defaults(run=bin_create)
    get = bin_commands.add_parser(
        "get", help="read any bin's latest record, or a version (operator: no key, no charge)"
    )
    get.add_argument("bin_id")
    get.add_argument("--version", type=_count, help="a version, as JSONBin numbers them: 0 is the base record")
    get.set_defaults(run=bin_get)

    stack = resources.add_parser(
        "stack", help="the deployed stack's outputs (ApiUrl, its tables and buckets); with --stack NAME"
    )
    stack.set_defaults(run=stack_show)

    upgrade = resources.add_parser(
        "migrate", help="after deploying a new version: bring stored data up to it (idempotent; see the README)"
    )
    upgrade.set_defaults(run=migrate)

    bodies = resources.add_parser("bodies", help="record bodies in S3")
    sweep = bodies.add_subparsers(dest="command", required=True).add_parser(
        "sweep",
        help="tag bodies no record points at, for the bucket's lifecycle rule to delete "
        "(what the deployed stack's SweeperFunction does daily)",
    )
    sweep.add_argument(
        "--grace-minutes",
        type=_count_up_to(MAX_SWEEP_GRACE_MINUTES),
        default=int(sweeping.GRACE.total_seconds() // 60),
        help="leave bodies younger than this alone: an update may be about to commit them",
    )
    sweep.set_defaults(run=bodies_sweep)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.resource == "stack" and not args.stack:
        print("binctl: binctl stack shows a deployed stack: pass --stack NAME", file=sys.stderr)
        return 1
    try:
        target = resources.target(args.stack)
    except (BotoCoreError, ClientError) as error:  # binctl's own CloudFormation lookup
        print(f"binctl: AWS error: {error}{resources.endpoint_note()}", file=sys.stderr)
        return 2
    except resources.NoStackChosen as error:
        print(f"binctl: {error}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"binctl: {error}", file=sys.stderr)
        return 1
    try:
        if target.local_endpoint is None:
            store = Store(target.settings)
        else:
            store = Store(target.settings, *resources.local_clients(target.local_endpoint, CLIENT_CONFIG))
        result = args.run(store, args)
    except (BinStoreError, UsageError, ValueError) as error:
        print(f"binctl: {error}", file=sys.stderr)
        return 1
    except StorageUnavailable as error:
        # Why AWS failed, from the error the storage layer wrapped (binctl is the operator's own tool).
        print(f"binctl: AWS error: {error.__cause__ or error}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as error:  # binctl's own CloudFormation calls
        print(f"binctl: AWS error: {error}", file=sys.stderr)
        return 2
    try:
        print(json.dumps(result, ensure_ascii=False), flush=True)
    except BrokenPipeError:
        # Read by a command that stopped early (`| head`): no traceback; Python's own recipe, so
        # that the exit does not flush into the closed pipe again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
