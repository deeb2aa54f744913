"""Spending an account's requests: the one charged-transaction primitive every write shares.

Every write that changes something also spends one request of the account, in the same DynamoDB
transaction, conditioned on the account having one left: so an allowance of N yields exactly N
writes, and a write that does not take effect is never charged.
"""

import random
import time
from dataclasses import dataclass, field
from uuid import uuid4

from aws_lambda_powertools import Logger

from binstore.model import (
    AllowanceSpent,
    AlreadyRecorded,
    BinMeta,
    Collection,
    CommitConflict,
    CommitOutcomeUnknown,
    IdempotentWrite,
    SchemaDoc,
    StoredKey,
)
from binstore.storage.clients import AWS_ERRORS, Clients, aws_call, error_code, unavailable
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

    def _charge_item(self, account_id: str, change: AccountChange | None = None, charge: bool = True) -> dict:
        """A transaction item spending one of the account's requests, if it has one left (unless not
        `charge`), and making `change` to the account."""
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
            "Key": to_item({"accountId": account_id}),
            "UpdateExpression": "SET " + ", ".join(sets),
            "ConditionExpression": " AND ".join(conditions),
        }
        if values:
            update["ExpressionAttributeValues"] = to_item(values)
        return {"Update": update}

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

        `account_change` changes the account item in the charge's own Update; `charge=False` (the
        operator's binctl) spends nothing and only makes that change.

        Raises AllowanceSpent if the account has no request left, CommitConflict if any other
        condition failed (the item changed, or vanished, since it was read; with an `account_change`,
        a failed account condition too: the retry reads the account again, and its check of the
        allowance names the cause), CommitOutcomeUnknown if DynamoDB never answered.

        A commit whose answer is lost is sent again, the same transaction with the same token, up to
        UNANSWERED_RESENDS times. DynamoDB answers a token it already applied (within 10 minutes) with
        success and changes nothing; so a resend that succeeds means applied exactly once, and one
        refused by its conditions means never applied. botocore's own retries of one call work the
        same way; these resends carry the guarantee past them.
        """
        record_index = None
        if idempotent is not None and committed is not None:
            record_index = len(items)
            items = [*items, recorded_commit_item(self.idempotency_table, idempotent, committed)]
        account_item = self._charge_item(account_id, account_change, charge)
        transaction = {"TransactItems": [*items, account_item], "ClientRequestToken": uuid4().hex}
        # Only a failure of the spend alone is told apart: with a change, the condition is shared.
        charge_index = len(items) if charge and account_change is None else None
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
    def spend(self, account_id: str) -> None:
        """Spend one of the account's requests, for a request that writes nothing else.

        DynamoDB refuses a single write to an item a transaction holds (TransactionConflictException,
        which botocore does not retry): a write of the same account was committing. The charge was
        not applied, so it is sent again, after a pause, up to SPEND_ATTEMPTS times in all.
        """
        dynamodb = self._clients.dynamodb
        for attempt in range(SPEND_ATTEMPTS):
            try:
                dynamodb.update_item(**self._charge_item(account_id)["Update"])
                return
            except dynamodb.exceptions.ConditionalCheckFailedException:
                raise AllowanceSpent() from None
            except dynamodb.exceptions.TransactionConflictException as conflict:
                if attempt == SPEND_ATTEMPTS - 1:
                    raise unavailable(conflict) from conflict
                time.sleep(random.uniform(0, SPEND_CONFLICT_PAUSE_SECONDS * (attempt + 1)))

    def refund(self, account_id: str) -> None:
        """Give back a request spent by a read that then failed. Best effort: a failure is logged.

        An atomic ADD, so concurrent charges and refunds never lose one another; conditioned on the
        account existing, so a refund never makes an account item out of nothing. A transaction of
        one item for its token: if botocore retries a refund whose answer was lost, DynamoDB
        applies it once, not twice.
        """
        try:
            self._clients.dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.accounts_table,
                            "Key": to_item({"accountId": account_id}),
                            "UpdateExpression": "ADD requestsRemaining :one",
                            "ConditionExpression": "attribute_exists(accountId)",
                            "ExpressionAttributeValues": to_item({":one": 1}),
                        }
                    }
                ],
                ClientRequestToken=uuid4().hex,
            )
        except AWS_ERRORS as error:
            logger.warning(
                "Could not give back a request spent by a failed read",
                extra={"account_id": account_id, "error_type": type(error).__name__},
            )
