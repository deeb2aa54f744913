"""Access Keys API (/v3/a) through the Lambda handler: make, list, use, delete; limits and refusals."""

import threading

import pytest
from tests.support.events import api_event
from tests.support.store import Account, master

READ_UPDATE = {"bins": {"create": False, "read": True, "update": True, "delete": False}}


def create_key(invoke, account, permissions=READ_UPDATE, name="frontend", **headers):
    return invoke(api_event("POST", "/v3/a", permissions, {**master(account), "X-Key-Name": name, **headers}))


def test_a_key_made_over_http_does_what_it_was_granted_and_nothing_else(invoke, store, pro):
    bin_id = pro.create_bin({"n": 1})
    before = pro.requests_remaining
    status, _, created = create_key(invoke, pro)
    assert status == 200, created
    assert list(created) == ["accessKey", "keyPermissions", "accessKeyId", "metadata"]
    assert created["keyPermissions"] == READ_UPDATE
    assert created["metadata"]["name"] == "frontend"
    access = {"X-Access-Key": created["accessKey"]}
    assert invoke(api_event("GET", f"/v3/b/{bin_id}", headers=access))[0] == 200
    assert invoke(api_event("PUT", f"/v3/b/{bin_id}", {"n": 2}, access))[0] == 200
    assert invoke(api_event("DELETE", f"/v3/b/{bin_id}", headers=access))[::2] == (
        403, {"message": "The X-Access-Key does not have the permission to delete bins"})
    assert pro.requests_remaining == before - 3  # the key, the read, the update
    # Only the hash is stored.
    stored = store.dynamodb.get_item(TableName=store.settings.keys_table,
                                     Key={"keyId": {"S": created["accessKeyId"]}})["Item"]
    assert created["accessKey"].split(".")[2] not in str(stored)


def test_the_list_shows_ids_names_and_permissions_never_keys(invoke, pro):
    first = create_key(invoke, pro, name="one")[2]
    second = create_key(invoke, pro, {"bins": {"read": True}}, name="two")[2]
    status, _, listed = invoke(api_event("GET", "/v3/a", headers=master(pro)))
    assert status == 200
    assert [key["accessKeyId"] for key in listed] == [first["accessKeyId"], second["accessKeyId"]]
    assert listed[1] == {
        "keyPermissions": {"bins": {"create": False, "read": True, "update": False, "delete": False}},
        "accessKeyId": second["accessKeyId"],
        "metadata": {"name": "two", "createdAt": second["metadata"]["createdAt"]},
    }
    assert all("accessKey" not in key for key in listed)
    assert first["accessKey"].split(".")[2] not in str(listed) and pro.master_key.split(".")[1] not in str(listed)


def test_a_deleted_key_is_refused_from_the_next_request(invoke, pro):
    bin_id = pro.create_bin({"n": 1})
    created = create_key(invoke, pro)[2]
    status, _, deleted = invoke(api_event("DELETE", f"/v3/a/{created['accessKeyId']}", headers=master(pro)))
    assert (status, deleted) == (200, {"metadata": {"id": created["accessKeyId"], "name": "frontend"},
                                       "message": "Access Key deleted successfully"})
    assert invoke(api_event("GET", f"/v3/b/{bin_id}", headers={"X-Access-Key": created["accessKey"]}))[0] == 401
    assert invoke(api_event("GET", "/v3/a", headers=master(pro)))[2] == []
    assert invoke(api_event("DELETE", f"/v3/a/{created['accessKeyId']}", headers=master(pro)))[::2] == (
        404, {"message": "Access Key not found or it doesn't belong to your account"})


def test_an_account_has_at_most_four_access_keys_even_when_requests_race(invoke, store, pro):
    # Raced through the domain code: the handler's router keeps one request at a time (as Lambda
    # runs them), so threads sharing it would mix their requests.
    from binstore import access_keys, errors

    outcomes = []

    def create(n: int) -> None:
        try:
            access_keys.create_access_key(store, pro.credentials, f"k{n}", frozenset({"read"}))
            outcomes.append("made")
        except errors.TooManyAccessKeys as refused:
            outcomes.append(refused.message)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["You can create at most 4 Access Keys. Delete one to create another"] * 3 + [
        "made"] * 4, outcomes
    listed = invoke(api_event("GET", "/v3/a", headers=master(pro)))[2]
    assert len(listed) == 4
    assert create_key(invoke, pro, name="over")[::2] == (
        403, {"message": "You can create at most 4 Access Keys. Delete one to create another"})
    # Deleting one makes room for one.
    assert invoke(api_event("DELETE", f"/v3/a/{listed[0]['accessKeyId']}", headers=master(pro)))[0] == 200
    assert create_key(invoke, pro, name="again")[0] == 200
    assert create_key(invoke, pro, name="over")[0] == 403


@pytest.mark.parametrize("body, headers, status, message", [
    (READ_UPDATE, {"Content-Type": "text/plain"}, 400, "You need to pass Content-Type set to application/json"),
    (READ_UPDATE, {"X-Key-Name": None}, 400, "You need to pass X-Key-Name header to set a name for the Access Key"),
    (READ_UPDATE, {"X-Key-Name": "n" * 33}, 400, "Name of the Access Key cannot be above 32 characters"),
    ({"bins": {"read": "yes"}}, {}, 400, "Access Key permissions must be sent as"),
    ({"bins": {"read": True, "admin": True}}, {}, 400, "Access Key permissions must be sent as"),
    ({"bins": {"read": True}, "collections": {}}, {}, 400, "Access Key permissions must be sent as"),
    ([True], {}, 400, "Access Key permissions must be sent as"),
    ({"bins": {"read": True}, "pad": "x" * 2000}, {}, 400, "Access Key permissions must be sent as"),
    (b"{", {}, 400, "Invalid JSON. Please try again"),
    (b"", {}, 400, "Access Key permissions must be sent as"),
    ({}, {}, 400, "Access Key permissions must be sent as"),
    ({"bins": {"read": False}}, {}, 400, "An Access Key needs at least one of the create, read, update and delete"),
    ({"bins": {}}, {}, 400, "An Access Key needs at least one of the create, read, update and delete"),
    (READ_UPDATE, {"x-master-key": None}, 401,
     "You need to pass X-Master-Key in the header to create an Access Key"),
    # The key is asked for first, as on every route: nothing else of the request is looked at.
    (b"", {"x-master-key": None, "X-Key-Name": None}, 401,
     "You need to pass X-Master-Key in the header to create an Access Key"),
    (b"", {"x-master-key": "bogus", "X-Key-Name": None}, 401, "Invalid X-Master-Key provided"),
    (READ_UPDATE, {"x-master-key": "bogus"}, 401, "Invalid X-Master-Key provided"),
])
def test_refused_key_requests_make_nothing_and_spend_nothing(invoke, store, pro, body, headers, status, message):
    before = pro.requests_remaining
    answer = invoke(api_event("POST", "/v3/a", body, {**master(pro), "X-Key-Name": "k", **headers}))
    assert answer[0] == status and answer[2]["message"].startswith(message), answer
    assert invoke(api_event("GET", "/v3/a", headers=master(pro)))[2] == []
    assert pro.requests_remaining == before - 1  # the listing only


def test_access_keys_routes_take_the_master_key_of_the_keys_own_account_only(invoke, store, pro):
    created = create_key(invoke, pro, {"bins": {"create": True, "read": True, "update": True, "delete": True}})[2]
    access = {"X-Access-Key": created["accessKey"]}
    other = Account(store, "pro")
    assert invoke(api_event("GET", "/v3/a", headers=access))[0] == 401
    assert invoke(api_event("POST", "/v3/a", READ_UPDATE, {**access, "X-Key-Name": "x"}))[0] == 401
    assert invoke(api_event("GET", "/v3/a", headers={}))[::2] == (
        401, {"message": "You need to pass X-Master-Key in the header to fetch a list of Access Keys"})
    assert invoke(api_event("DELETE", f"/v3/a/{created['accessKeyId']}", headers={}))[::2] == (
        401, {"message": "You need to pass X-Master-Key in the header to delete the access key"})
    assert invoke(api_event("DELETE", f"/v3/a/{created['accessKeyId']}", headers=master(other)))[0] == 404
    master_key_id = pro.master_key.split(".")[1]
    assert invoke(api_event("DELETE", f"/v3/a/{master_key_id}", headers=master(pro)))[0] == 404
    assert invoke(api_event("DELETE", "/v3/a/not-an-id", headers=master(pro)))[::2] == (
        400, {"message": "Invalid Access Key Id provided"})
    assert invoke(api_event("GET", "/v3/a", headers=master(other)))[2] == []


def test_a_retried_key_creation_never_makes_a_second_key_nor_shows_the_first_again(invoke, pro):
    first = create_key(invoke, pro, **{"Idempotency-Key": "k-1"})
    retry = create_key(invoke, pro, **{"Idempotency-Key": "k-1"})
    assert first[0] == 200
    assert retry[0] == 409 and first[2]["accessKeyId"] in retry[2]["message"], retry
    assert first[2]["accessKey"] not in str(retry)
    assert len(invoke(api_event("GET", "/v3/a", headers=master(pro)))[2]) == 1


def test_an_account_out_of_requests_cannot_make_or_list_keys_but_can_revoke_a_leaked_one(invoke, store):
    poor = Account(store, "free", requests=3)
    leaked = create_key(invoke, poor)[2]
    bin_id = poor.create_bin({"n": 1})
    # Whoever holds the key spends the account's requests.
    assert invoke(api_event("GET", f"/v3/b/{bin_id}", headers={"X-Access-Key": leaked["accessKey"]}))[0] == 200
    assert poor.requests_remaining == 0
    for refused in (create_key(invoke, poor), invoke(api_event("GET", "/v3/a", headers=master(poor)))):
        assert refused[0] == 403 and refused[2]["message"].startswith("Requests exhausted"), refused
    # Deleting a key spends nothing, so the owner can still stop the leak.
    assert invoke(api_event("DELETE", f"/v3/a/{leaked['accessKeyId']}", headers=master(poor)))[0] == 200
    assert invoke(api_event("GET", f"/v3/b/{bin_id}", headers={"X-Access-Key": leaked["accessKey"]}))[::2] == (
        401, {"message": "X-Access-Key is invalid or the bin doesn't belong to your account"})
    assert poor.requests_remaining == 0


def test_a_whole_key_is_never_taken_in_the_path(invoke, pro):
    """The path is in every access log: DELETE takes the key's id only (binctl takes the key too)."""
    created = create_key(invoke, pro)[2]
    assert invoke(api_event("DELETE", f"/v3/a/{created['accessKey']}", headers=master(pro)))[::2] == (
        400, {"message": "Invalid Access Key Id provided"})
    assert len(invoke(api_event("GET", "/v3/a", headers=master(pro)))[2]) == 1


def test_me_describes_the_calling_key_and_its_account_and_spends_nothing(invoke, store):
    poor = Account(store, "free", requests=0)  # an account with nothing left can still see so
    created = create_key(invoke, Account(store, "pro"))[2]  # another account's, for contrast
    assert created["accessKey"]
    status, _, me = invoke(api_event("GET", "/v3/me", headers=master(poor)))
    assert (status, me) == (200, {"key": {"kind": "master"}, "account": {
        "id": poor.account_id, "plan": "free", "requestsRemaining": 0, "accessKeys": 0}})
    access = poor.create_access_key("read")
    status, _, me = invoke(api_event("GET", "/v3/me", headers={"X-Access-Key": access}))
    assert status == 200 and me["key"] == {
        "kind": "access", "accessKeyId": access.split(".")[1], "name": "test",
        "keyPermissions": {"bins": {"create": False, "read": True, "update": False, "delete": False}}}
    assert me["account"]["accessKeys"] == 1 and me["account"]["requestsRemaining"] == 0
    assert invoke(api_event("GET", "/v3/me", headers={}))[::2] == (
        401, {"message": "You need to pass X-Master-Key or X-Access-Key in the header"})
    assert invoke(api_event("GET", "/v3/me", headers={"X-Access-Key": "bogus"}))[::2] == (
        401, {"message": "Invalid X-Access-Key provided"})
    assert invoke(api_event("GET", "/v3/me", headers={"X-Master-Key": access}))[::2] == (
        401, {"message": "Invalid X-Master-Key provided"})
