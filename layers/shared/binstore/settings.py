"""Where the data lives: names of the tables and the bucket, read from the environment.

The function gets these from template.yaml; binctl and the tests read the same variables. The
defaults are the names `make run` gives the resources in its local (moto) stack, so binctl needs
nothing but AWS_ENDPOINT_URL to provision into it.
"""

import os
from dataclasses import dataclass

# Local name of every resource make run creates, by the environment variable that carries it.
LOCAL_RESOURCE_NAMES = {
    "ACCOUNTS_TABLE": "AccountsTable",
    "KEYS_TABLE": "KeysTable",
    "BINS_TABLE": "BinsTable",
    "BIN_VERSIONS_TABLE": "BinVersionsTable",
    "COLLECTIONS_TABLE": "CollectionsTable",
    "SCHEMA_DOCS_TABLE": "SchemaDocsTable",
    "IDEMPOTENCY_TABLE": "IdempotencyTable",
    "RECORDS_BUCKET": "recordsbucket",
}
DEFAULT_BUY_REQUESTS_AT = "your service operator"

# The deployed stack's Output naming each resource, by the environment variable that carries it.
STACK_OUTPUTS = {
    "ACCOUNTS_TABLE": "AccountsTableName",
    "KEYS_TABLE": "KeysTableName",
    "BINS_TABLE": "BinsTableName",
    "BIN_VERSIONS_TABLE": "BinVersionsTableName",
    "COLLECTIONS_TABLE": "CollectionsTableName",
    "SCHEMA_DOCS_TABLE": "SchemaDocsTableName",
    "IDEMPOTENCY_TABLE": "IdempotencyTableName",
    "RECORDS_BUCKET": "RecordsBucketName",
}


@dataclass(frozen=True)
class Settings:
    accounts_table: str
    keys_table: str
    bins_table: str
    bin_versions_table: str
    collections_table: str
    schema_docs_table: str
    records_bucket: str
    idempotency_table: str = LOCAL_RESOURCE_NAMES["IDEMPOTENCY_TABLE"]
    buy_requests_at: str = DEFAULT_BUY_REQUESTS_AT

    @classmethod
    def from_environment(cls, environ=os.environ) -> "Settings":
        def name(variable: str) -> str:
            return environ.get(variable) or LOCAL_RESOURCE_NAMES[variable]

        return cls(
            accounts_table=name("ACCOUNTS_TABLE"),
            keys_table=name("KEYS_TABLE"),
            bins_table=name("BINS_TABLE"),
            bin_versions_table=name("BIN_VERSIONS_TABLE"),
            collections_table=name("COLLECTIONS_TABLE"),
            schema_docs_table=name("SCHEMA_DOCS_TABLE"),
            records_bucket=name("RECORDS_BUCKET"),
            idempotency_table=name("IDEMPOTENCY_TABLE"),
            buy_requests_at=environ.get("BUY_REQUESTS_AT") or DEFAULT_BUY_REQUESTS_AT,
        )

    @classmethod
    def from_stack_outputs(cls, outputs: dict[str, str]) -> "Settings":
        """Settings for a deployed stack, from its CloudFormation Outputs (OutputKey -> OutputValue)."""
        missing = sorted(set(STACK_OUTPUTS.values()) - set(outputs))
        if missing:
            raise ValueError(f"the stack has no output {', '.join(missing)}: is it a binstore stack?")
        return cls.from_environment({variable: outputs[output] for variable, output in STACK_OUTPUTS.items()})
