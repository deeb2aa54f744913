"""Access keys, `/v3/a`: make, list and delete the keys that may do only some things to bins; and
`/v3/me` (our extension): what the calling key is, and what its account has left."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

import idempotency
from binstore import access_keys, errors
from binstore.model import IdempotentWrite, StoredKey, jsonbin_time
from http_helpers import credentials, header, json_body, json_response, replay_headers, served, store

router = APIGatewayHttpRouter()


def _summary(key: StoredKey) -> dict:
    """A key as JSONBin shows it, but its secret: that is shown once, and never kept (not even here,
    in what an Idempotency-Key's replay answers from)."""
    return {
        "keyPermissions": access_keys.key_permissions(key),
        "accessKeyId": key.key_id,
        "metadata": {"name": key.name, "createdAt": key.created_at},
    }


@router.post("/v3/a")
def create() -> Response:
    event = router.current_event
    body = json_body(event)
    plaintext: list[str] = []

    def write(idempotent: IdempotentWrite | None) -> StoredKey:
        created = access_keys.create_access_key_as_asked(
            store(router), credentials(event), header(event, "X-Key-Name"), body, idempotent
        )
        plaintext.append(created.plaintext)
        return created.key

    answer, replayed = idempotency.once(router, body, write, _summary, "AccessKeyCreated")
    if not plaintext:
        # A retry of a request that made the key: its secret went out with the first answer only.
        raise errors.AccessKeyShownOnce(answer["accessKeyId"])
    return json_response({"accessKey": plaintext[0], **answer}, headers=replay_headers(replayed))


@router.get("/v3/a")
def list_keys() -> Response:
    keys = access_keys.list_access_keys(store(router), credentials(router.current_event))
    served("AccessKeysListed")
    return json_response([_summary(key) for key in keys])


@router.delete("/v3/a/<access_key_id>")
def delete(access_key_id: str) -> Response:
    event = router.current_event
    return idempotency.json_answer(
        router,
        lambda idempotent: access_keys.delete_access_key(store(router), credentials(event), access_key_id, idempotent),
        lambda key: {
            "metadata": {"id": key.key_id, "name": key.name},
            "message": "Access Key deleted successfully",
        },
        "AccessKeyDeleted",
    )


@router.get("/v3/me")
def describe() -> Response:
    described_key = access_keys.describe_key(store(router), credentials(router.current_event))
    account, key = described_key.account, described_key.key
    served("KeyDescribed")
    described: dict = {"kind": key.kind}
    if key.kind == "access":
        described |= {"accessKeyId": key.key_id, "name": key.name, "keyPermissions": access_keys.key_permissions(key)}
    if key.expires_at is not None:  # a master key a rotation replaced: when to have switched by
        described["expiresAt"] = jsonbin_time(key.expires_at)
    return json_response(
        {
            "key": described,
            "account": {
                "id": account.account_id,
                "plan": account.plan,
                "requestsRemaining": account.requests_remaining,
                "accessKeys": described_key.access_key_count,
            },
        }
    )
