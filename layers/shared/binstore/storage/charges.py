"""Spending an account's requests: the one charged-transaction primitive every write shares.

Every write that changes something also spends one request of the account, in the same DynamoDB
transaction, conditioned on the account having one left: so an allowance of N yields exactly N
writes, and a write that does not take effect is never charged.

An account's allowance is split across ALLOWANCE_SHARDS items of the accounts table, so that its
requests do not all meet on one item (DynamoDB lets one transaction at a time hold an item, and an
item takes at most 1,000 write units a second: docs/contention.md). Shard 0 is the account item
itself (an account stored before sharding has only it); shard k is the item `<accountId>#k`. A
charge spends one request from a shard other than the account item, picked at random,
conditioned on that shard having one; if it has none, every shard is read (consistently) and the
charge goes to another that has some, the account item only when no other has any. So the account
item's share, which every request reads anyway, lasts to the end: a request's early check needs
no other read until then (allowance.check_allowance). Only when every shard reads empty is the
allowance spent. Each success takes exactly one request from
one shard, and nothing is ever taken from an empty shard, so N requests still yield exactly N.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import uuid4

from aws_lambda_powertools import Logger

from binstore import randomness
from binstore.model import (
    AllowanceSpent,
    AlreadyRecorded,
    BinMeta,
    Collection,
    CommitConflict,
    CommitOutcomeUnknown,
    IdempotentWrite,
    SchemaDoc,
    StorageUnavailable,
    StoredKey,
)
from binstore.storage.clients import (
    AWS_ERRORS,
    UNPROCESSED_PAUSE_SECONDS,
    Clients,
    aws_call,
    batch_get_items,
    error_code,
    unavailable,
)
from binstore.storage.items import recorded_commit_item, to_item

logger = Logger(child=True)

# Cancellation codes that mean "a condition did not hold" (or another transaction held an item):
# the write was not applied, and reading again and retrying may succeed.
_RACE_CODES = {None, "None", "ConditionalCheckFailed", "TransactionConflict"}
# Answers that refuse a transaction as it is (malformed, too large, not allowed): never applied.
_REFUSED_CODES = {"ValidationException", "AccessDeniedException", "ResourceNotFoundException"}
# A commit with no answer (after botocore's own retries) is sent again this many times, with its token.
UNANSWERED_RESENDS = 2
RESEND_PAUSE_SECONDS = 0.05
# A read's charge (a single UpdateItem of the account item) that meets a write's transaction on the
# same item is refused with TransactionConflictException and not applied: tried again this many
# times, after short jittered pauses, before the read answers 503 (docs/contention.md).
SPEND_ATTEMPTS = 20
SPEND_CONFLICT_PAUSE_SECONDS = 0.002
# How many items an account's allowance is split across (see the module's docstring). 32 shards
# hold up to 32 transactions at once: one account's writes stop meeting on one item well past
# 1,000 a second (docs/contention.md). Reading them all (only when a shard is found empty) is one
# BatchGetItem of 32 keys. It may be raised in a later version, never lowered: the shards past it
# would no longer be read, and their requests would be lost to the count.
ALLOWANCE_SHARDS = 32
# A read of every shard that catches binctl migrate's split half seen is read again, this many times in all.
SHARD_READS = 5
# A charge that finds its shard empty picks another with requests left, this many times at most:
# each miss means other requests spent the shard meanwhile. Past it, the charge was not applied and
# the allowance is not known to be spent: a write's commit raises CommitConflict, so the request
# reads again (and its check of the allowance may then find every shard empty), within the domain's
# own bound on retries; a lone charge (spend) answers 503.
SHARD_PICKS = 8


def shard_key(account_id: str, shard: int) -> dict:
    """The key of an allowance shard: the account item for shard 0."""
    return {"accountId": account_id if shard == 0 else f"{account_id}#{shard}"}


def split_allowance(total: int, shards: int | None = None) -> list[int]:
    """`total` requests spread as evenly as they go over `shards` shards (ALLOWANCE_SHARDS if None;
    the first ones get the rest)."""
    shards = ALLOWANCE_SHARDS if shards is None else shards
    share, rest = divmod(total, shards)
    return [share + (1 if shard < rest else 0) for shard in range(shards)]


@dataclass(frozen=True)
class AccountChange:
    """A change to the account item itself (its access key count), made by the same Update that
    spends the request: a DynamoDB transaction holds one operation per item."""

    set_clause: str
    condition: str
    values: dict = field(default_factory=dict)


class Charges:
    def __init__(self, accounts_table: str, clients: Clients, idempotency_table: str = ""):
        self.accounts_table = accounts_table
        self.idempotency_table = idempotency_table  # where idempotent writes record their commits
        self._clients = clients

    def _charge_item(
        self, account_id: str, shard: int = 0, change: AccountChange | None = None, charge: bool = True
    ) -> dict:
        """A transaction item spending one request from the account's shard `shard`, if it has one
        left (unless not `charge`), and making `change` to the account item (shard 0 only)."""
        sets, conditions, values = [], ["attribute_exists(accountId)"], {}
        if charge:
            sets.append("requestsRemaining = requestsRemaining - :one")
            conditions.append("requestsRemaining >= :one")
            values[":one"] = 1
        if change is not None:
            sets.append(change.set_clause)
            conditions.append(f"({change.condition})")
            values.update(change.values)
        update = {
            "TableName": self.accounts_table,
            "Key": to_item(shard_key(account_id, shard)),
            "UpdateExpression": "SET " + ", ".join(sets),
            "ConditionExpression": " AND ".join(conditions),
        }
        if values:
            update["ExpressionAttributeValues"] = to_item(values)
        return {"Update": update}

    def _account_items(self, account_id: str, shard: int, change: AccountChange | None, charge: bool) -> list[dict]:
        """The transaction's items on the accounts table: the charge to `shard`, and the change to
        the account item (one Update when they are the same item: a transaction holds one
        operation per item)."""
        if change is None or not charge:
            return [self._charge_item(account_id, shard, change, charge)]
        if shard == 0:
            return [self._charge_item(account_id, 0, change)]
        return [self._charge_item(account_id, shard), self._charge_item(account_id, 0, change, charge=False)]

    @aws_call
    def balances(self, account_id: str) -> list[int]:
        """What each shard of the account's allowance holds, read consistently in one BatchGetItem
        (a shard that does not exist holds nothing).

        A BatchGetItem reads each item consistently, not all of them at one instant: beside binctl
        migrate's split of the account, it may see the account item split and the shard items not
        yet made (missing the requests moved to them), or the account item unsplit and the shard
        items made (counting those requests twice). Read again then, after a pause: the split is
        one transaction, so a later read sees it whole.
        """
        for read in range(SHARD_READS):
            held, expected, found = self._read_shards(account_id)
            if expected is None or found == expected:
                return held
            if read < SHARD_READS - 1:
                time.sleep(UNPROCESSED_PAUSE_SECONDS)
        raise StorageUnavailable("AllowanceBeingSplit")

    def _read_shards(self, account_id: str) -> tuple[list[int], int | None, int]:
        """Each shard's requests; how many shard items (the account item included) the account item
        says exist (None without an account item: nothing to check them against); how many were found."""
        keys = [to_item(shard_key(account_id, shard)) for shard in range(ALLOWANCE_SHARDS)]
        request = {self.accounts_table: {"Keys": keys, "ConsistentRead": True}}
        held: list[int] = [0] * ALLOWANCE_SHARDS
        expected: int | None = None
        found = 0
        for _, values in batch_get_items(self._clients.dynamodb, request):
            _, _, shard = values["accountId"].partition("#")
            held[int(shard or 0)] = int(values.get("requestsRemaining", 0))
            found += 1
            if not shard:
                expected = min(int(values.get("allowanceShards", 1)), ALLOWANCE_SHARDS)
        return held, expected, found

    def _other_shard(self, account_id: str) -> int:
        """A shard with requests left, at random among those other than the account item (which
        is spent last); AllowanceSpent if every shard is empty."""
        held = self.balances(account_id)
        others = [shard for shard, left in enumerate(held) if left >= 1 and shard != 0]
        if others:
            return randomness.choice(others)
        if held[0] >= 1:
            return 0
        raise AllowanceSpent()

    @aws_call
    def commit(
        self,
        items: list[dict],
        account_id: str,
        idempotent: IdempotentWrite | None = None,
        committed: BinMeta | Collection | SchemaDoc | StoredKey | None = None,
        account_change: AccountChange | None = None,
        charge: bool = True,
    ) -> None:
        """Write `items` and spend one of the account's requests: all of it, or none of it.

        An `idempotent` write records `committed` (the entity as it stands once committed) in the same
        transaction (see IdempotentWrite); if the same request committed already, its record cancels
        the transaction: AlreadyRecorded.

        `account_change` changes the account item in the same transaction; `charge=False` (the
        operator's binctl) spends nothing and only makes that change.

        Raises AllowanceSpent if the account has no request left in any shard, CommitConflict if any
        other condition failed (the item changed, or vanished, since it was read; with an
        `account_change` charged to the account item itself, a failed account condition too: the
        retry reads the account again, and its check of the allowance names the cause),
        CommitOutcomeUnknown if DynamoDB never answered.

        The request is spent from a shard picked at random; a shard found empty cancels the
        transaction, which is sent again (a new transaction: the first was not applied) charging a
        shard that has requests left, if any does.
        """
        record_index = None
        if idempotent is not None and committed is not None:
            record_index = len(items)
            items = [*items, recorded_commit_item(self.idempotency_table, idempotent, committed)]
        if not charge:
            self._commit_once(items, account_id, 0, record_index, account_change, charge=False)
            return
        self._charging_a_shard(
            account_id,
            lambda shard: self._commit_once(items, account_id, shard, record_index, account_change),
            # Not applied, and the allowance not known to be spent: read again, as after a conflict.
            missed_every_pick=CommitConflict(),
        )

    def _commit_once(
        self,
        items: list[dict],
        account_id: str,
        shard: int,
        record_index: int | None,
        account_change: AccountChange | None,
        charge: bool = True,
    ) -> None:
        """One transaction charging `shard`.

        A commit whose answer is lost is sent again, the same transaction with the same token, up to
        UNANSWERED_RESENDS times. DynamoDB answers a token it already applied (within 10 minutes) with
        success and changes nothing; so a resend that succeeds means applied exactly once, and one
        refused by its conditions means never applied. botocore's own retries of one call work the
        same way; these resends carry the guarantee past them.
        """
        account_items = self._account_items(account_id, shard, account_change, charge)
        transaction = {"TransactItems": [*items, *account_items], "ClientRequestToken": uuid4().hex}
        # Only a failure of the spend alone is told apart: combined with a change, the condition is shared.
        charge_index = len(items) if charge and (account_change is None or shard != 0) else None
        for sent in range(UNANSWERED_RESENDS + 1):
            try:
                self._send(transaction, charge_index=charge_index, record_index=record_index)
                return
            except CommitOutcomeUnknown:
                if sent == UNANSWERED_RESENDS:
                    raise
                time.sleep(RESEND_PAUSE_SECONDS * (sent + 1))

    def _send(self, transaction: dict, charge_index: int | None, record_index: int | None) -> None:
        dynamodb = self._clients.dynamodb
        try:
            dynamodb.transact_write_items(**transaction)
        except dynamodb.exceptions.TransactionCanceledException as error:
            codes = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
            failed = [index for index, code in enumerate(codes) if code == "ConditionalCheckFailed"]
            if record_index in failed:
                raise AlreadyRecorded() from None
            if failed == [charge_index]:
                raise AllowanceSpent() from None
            if set(codes) <= _RACE_CODES:
                raise CommitConflict() from None
            raise  # refused for another reason (a validation error): not applied, and not worth retrying
        except AWS_ERRORS as error:
            if error_code(error) in _REFUSED_CODES:
                raise unavailable(error) from error  # refused as sent: not applied, and no resend will do
            # No answer (a timeout, a 5xx, a throttle, or TransactionInProgress: the first send still
            # running): it may or may not have been applied.
            raise unavailable(error, CommitOutcomeUnknown) from error

    @aws_call
    def spend(self, account_id: str) -> int:
        """Spend one of the account's requests, for a request that writes nothing else; return the
        shard it was spent from (a refund gives it back there).

        From a shard picked at random, or, if that one is empty, from one that has requests left:
        AllowanceSpent only when every shard is empty; StorageUnavailable after SHARD_PICKS
        shards emptied under it.
        """
        return self._charging_a_shard(
            account_id,
            lambda shard: self._spend_from(account_id, shard),
            # Not spent, and not known to be spent out: a charge with nothing else to read again is
            # refused as storage being busy (503), never as "Requests exhausted".
            missed_every_pick=StorageUnavailable("AllowanceShardsBusy"),
        )

    def _charging_a_shard(self, account_id: str, charge: Callable[[int], None], missed_every_pick: Exception) -> int:
        """Run `charge` on a shard picked at random, then, each time it finds its shard empty
        (AllowanceSpent), on another that has requests left, up to SHARD_PICKS times; return the
        shard charged. AllowanceSpent when every shard reads empty; `missed_every_pick` past the
        last pick."""
        shard = _first_pick()
        for pick in range(SHARD_PICKS):
            try:
                charge(shard)
                return shard
            except AllowanceSpent:
                if pick == SHARD_PICKS - 1:
                    raise missed_every_pick from None
                shard = self._other_shard(account_id)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _spend_from(self, account_id: str, shard: int) -> None:
        """DynamoDB refuses a single write to an item a transaction holds (TransactionConflictException,
        which botocore does not retry): a write charging the same shard was committing. The charge
        was not applied, so it is sent again, after a pause, up to SPEND_ATTEMPTS times in all."""
        dynamodb = self._clients.dynamodb
        for attempt in range(SPEND_ATTEMPTS):
            try:
                dynamodb.update_item(**self._charge_item(account_id, shard)["Update"])
                return
            except dynamodb.exceptions.ConditionalCheckFailedException:
                raise AllowanceSpent() from None
            except dynamodb.exceptions.TransactionConflictException as conflict:
                if attempt == SPEND_ATTEMPTS - 1:
                    raise unavailable(conflict) from conflict
                pause_after_conflict(attempt)

    def refund(self, account_id: str, shard: int = 0) -> None:
        """Give back a request spent by a read that then failed, to the shard it came from. Best
        effort: a failure is logged.

        An atomic ADD, so concurrent charges and refunds never lose one another; conditioned on the
        shard existing, so a refund never makes an item out of nothing. A transaction of one item
        for its token: if botocore retries a refund whose answer was lost, DynamoDB applies it
        once, not twice. One cancelled because a write held the shard was not applied: it is sent
        again (a new token), as a spend is.
        """
        dynamodb = self._clients.dynamodb
        refund = {
            "Update": {
                "TableName": self.accounts_table,
                "Key": to_item(shard_key(account_id, shard)),
                "UpdateExpression": "ADD requestsRemaining :one",
                "ConditionExpression": "attribute_exists(accountId)",
                "ExpressionAttributeValues": to_item({":one": 1}),
            }
        }
        for attempt in range(SPEND_ATTEMPTS):
            try:
                dynamodb.transact_write_items(TransactItems=[refund], ClientRequestToken=uuid4().hex)
                return
            except dynamodb.exceptions.TransactionCanceledException as error:
                codes = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
                if codes != ["TransactionConflict"] or attempt == SPEND_ATTEMPTS - 1:
                    _refund_lost(account_id, error)
                    return
                pause_after_conflict(attempt)
            except AWS_ERRORS as error:
                _refund_lost(account_id, error)
                return


def _first_pick() -> int:
    """The shard a charge tries first: any but the account item, which is spent last (an account
    from before the split has no such shard: its first pick finds nothing, and the charge reads
    its way back to the account item)."""
    return randomness.randrange(1, ALLOWANCE_SHARDS) if ALLOWANCE_SHARDS > 1 else 0


def pause_after_conflict(attempt: int) -> None:
    """A short jittered pause before sending again a write a transaction held its item against."""
    time.sleep(randomness.uniform(0, SPEND_CONFLICT_PAUSE_SECONDS * (attempt + 1)))


def _refund_lost(account_id: str, error: Exception) -> None:
    logger.warning(
        "Could not give back a request spent by a failed read",
        extra={"account_id": account_id, "error_type": type(error).__name__},
    )
