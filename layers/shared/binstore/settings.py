"""Where the data lives: the names of the tables and the bucket, read from the environment.

template.yaml gives each function one variable per resource it uses (ACCOUNTS_TABLE: !Ref
AccountsTable), each named after its Settings field. A function started without a name it needs
fails at cold start, saying which: there is no fallback, so a function can never quietly use
another stack's (or the local stack's) resources. The local stack (local/) and binctl work out the
names they pass themselves.
"""

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields

# Ends JSONBin's "Requests exhausted. Buy additional requests at ...": template.yaml's BuyRequestsAt
# (the same default), best set to the operator's own URL or e-mail address. Without one, it still
# tells the user where to go: back to whoever gave them the key.
DEFAULT_BUY_REQUESTS_AT = "the provider that issued your API key"


class MissingSetting(RuntimeError):
    """A resource name the function needs is not in its environment: the deployment is broken."""


@dataclass(frozen=True)
class Settings:
    # "" for a resource the function was not given (the cleanup function has the bucket only).
    accounts_table: str = ""
    keys_table: str = ""
    bins_table: str = ""
    bin_versions_table: str = ""
    collections_table: str = ""
    schema_docs_table: str = ""
    idempotency_table: str = ""
    records_bucket: str = ""
    usage_logs_bucket: str = ""
    buy_requests_at: str = DEFAULT_BUY_REQUESTS_AT

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] = os.environ, needed: Iterable[str] | None = None
    ) -> "Settings":
        """The settings in `environ`; MissingSetting unless every `needed` variable (default: all) is set."""
        needed = RESOURCE_VARIABLES if needed is None else tuple(needed)
        unknown = sorted(set(needed) - set(RESOURCE_VARIABLES))
        if unknown:
            raise ValueError(f"no such setting: {', '.join(unknown)}")
        missing = [variable for variable in needed if not environ.get(variable)]
        if missing:
            raise MissingSetting(
                f"{', '.join(missing)} not set: template.yaml gives the function every "
                "resource it uses as an environment variable"
            )
        return cls(
            **{variable.lower(): environ.get(variable, "") for variable in RESOURCE_VARIABLES},
            buy_requests_at=environ.get("BUY_REQUESTS_AT") or DEFAULT_BUY_REQUESTS_AT,
        )


# The environment variable naming each resource: the one list of the stack's tables and bucket.
RESOURCE_VARIABLES = tuple(field.name.upper() for field in fields(Settings) if field.name != "buy_requests_at")
