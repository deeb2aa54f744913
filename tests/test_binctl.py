"""binctl in-process, against moto's server on loopback as make run serves it: output format,
errors, which stack it acts on, and finding a deployed stack."""

import json
import os
import re
import urllib.request

import boto3
import pytest
from binctl import resources
from binctl.cli import main
from binctl.resources import local_settings, logical_id, output_key
from binstore import provisioning
from binstore.settings import RESOURCE_VARIABLES
from binstore.storage import Store
from local.aws import create_resources
from local.emulation import AtomicMotoServer
from local.ports import free_port
from local.template import load_template


@pytest.fixture(scope="module")
def moto_url():
    server = AtomicMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    yield "http://127.0.0.1:{}".format(server.get_host_and_port()[1])
    server.stop()


@pytest.fixture
def store(moto_url, monkeypatch):
    """Fresh tables and bucket in moto's server, and the environment make run's banner prints:
    binctl reaches a local stack only through a loopback AWS_ENDPOINT_URL."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=10).close()
    for name, value in {"AWS_ENDPOINT_URL": moto_url, "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    create_resources(boto3.client("dynamodb"), boto3.client("s3"))
    return Store(local_settings())


def run(capsys, *args) -> tuple[int, dict | None, str]:
    try:
        code = main(list(args))
    except SystemExit as refused:  # argparse's refusal of the command line
        code = refused.code
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out else None, captured.err


def test_account_create_prints_one_json_object(store, capsys):
    code, output, _ = run(capsys, "account", "create", "--plan", "free")
    assert code == 0
    assert set(output) == {"accountId", "masterKey", "plan", "requestsRemaining"}
    assert (output["plan"], output["requestsRemaining"]) == ("free", 10_000)
    assert run(capsys, "account", "create", "--plan", "pro")[1]["requestsRemaining"] == 100_000


def test_bin_create_and_get(store, capsys):
    key = run(capsys, "account", "create", "--plan", "pro")[1]["masterKey"]
    bin_id = run(capsys, "bin", "create", "--master-key", key, "--public", "--data", '{"a": [1]}')[1]["id"]
    code, output, _ = run(capsys, "bin", "get", bin_id)
    assert code == 0
    assert output["record"] == {"a": [1]}
    assert output["metadata"]["private"] is False and output["metadata"]["versionCount"] == 0
    # Versions as JSONBin numbers them: 0 is the base record (here also the latest).
    assert run(capsys, "bin", "get", bin_id, "--version", "0")[1]["record"] == {"a": [1]}
    assert "Bin version not found" in run(capsys, "bin", "get", bin_id, "--version", "1")[2]


@pytest.mark.parametrize("args, message", [
    (["bin", "create", "--master-key", "nope", "--data", "{\"a\": 1}"], "Invalid X-Master-Key"),
    (["bin", "get", "not-an-id"], "Invalid Bin Id provided"),
    (["bin", "get", "0123456789abcdef01234567"], "Bin not found"),
    (["schema", "create", "--master-key", "nope", "--file", "/nonexistent.json"], "cannot read"),
])
def test_failures_print_a_message_on_stderr_and_exit_non_zero(store, capsys, args, message):
    code, output, error = run(capsys, *args)
    assert code != 0 and output is None
    assert message in error


def test_invalid_data_and_schema_are_refused(store, capsys, tmp_path):
    key = run(capsys, "account", "create", "--plan", "pro")[1]["masterKey"]
    assert "Invalid JSON. Please try again" in run(capsys, "bin", "create", "--master-key", key, "--data", "{")[2]
    schema = tmp_path / "schema.json"
    schema.write_text('{"type": "no-such-type"}')
    code, _, error = run(capsys, "schema", "create", "--master-key", key, "--file", str(schema))
    assert code != 0 and "Schema Doc must be a valid JSON Schema" in error


def test_key_create_prints_the_access_key_and_revoke_refuses_it_at_once(store, capsys):
    from binstore import reads
    from binstore.access import Credentials

    master = run(capsys, "account", "create", "--plan", "pro")[1]["masterKey"]
    bin_id = run(capsys, "bin", "create", "--master-key", master, "--data", '{"a": 1}')[1]["id"]
    code, output, _ = run(capsys, "key", "create", "--master-key", master, "--permissions", "update,READ")
    assert code == 0 and output["permissions"] == ["read", "update"]
    access = Credentials(access_key=output["accessKey"])
    assert reads.read_bin(store, bin_id, access).record_value() == {"a": 1}

    assert run(capsys, "key", "revoke", "--master-key", master, "--access-key", output["accessKey"])[0] == 0
    with pytest.raises(Exception, match="X-Access-Key is invalid or the bin"):
        reads.read_bin(store, bin_id, access)


def test_key_list_and_revoke_by_id_run_the_api_code_and_spend_nothing(store, capsys):
    created = run(capsys, "account", "create", "--plan", "free")[1]
    master = created["masterKey"]
    made = [run(capsys, "key", "create", "--master-key", master, "--name", f"k{n}", "--permissions", "read")[1]
            for n in range(4)]
    code, _, error = run(capsys, "key", "create", "--master-key", master, "--permissions", "read")
    assert code == 1 and "You can create at most 4 Access Keys" in error
    listed = run(capsys, "key", "list", "--master-key", master)[1]["accessKeys"]
    assert [key["accessKeyId"] for key in listed] == [key["accessKeyId"] for key in made]
    assert [key["name"] for key in listed] == ["k0", "k1", "k2", "k3"]
    assert "accessKey" not in json.dumps(listed).replace("accessKeyId", "")
    assert run(capsys, "key", "revoke", "--master-key", master, "--key", made[0]["accessKeyId"])[1] == {
        "revoked": True, "accessKeyId": made[0]["accessKeyId"]}
    assert len(run(capsys, "key", "list", "--master-key", master)[1]["accessKeys"]) == 3
    code, _, error = run(capsys, "key", "revoke", "--master-key", master, "--key", made[0]["accessKeyId"])
    assert code == 1 and "Access Key not found" in error
    assert store.accounts.get_whole(created["accountId"]).requests_remaining == 10_000


def test_migrate_lists_old_bins_and_counts_old_accounts_keys_once(store, capsys):
    from binstore import listings
    from binstore.access import Credentials

    master = run(capsys, "account", "create", "--plan", "pro")[1]["masterKey"]
    account_id = master.split(".")[0]
    bins = [run(capsys, "bin", "create", "--master-key", master, "--data", f'{{"n": {n}}}')[1]["id"] for n in range(3)]
    for _ in range(2):
        run(capsys, "key", "create", "--master-key", master, "--permissions", "read")
    # As a previous version stored them: bins without a listing, an account without a key count.
    for bin_id in bins:
        store.dynamodb.update_item(TableName=store.settings.bins_table, Key={"binId": {"S": bin_id}},
                                   UpdateExpression="REMOVE listing, listedAt")
    _forget_key_count(store, account_id)
    credentials = Credentials(master_key=master)
    assert listings.list_bins(store, credentials, "uncategorized") == []
    assert store.accounts.get(account_id).access_key_count is None

    assert run(capsys, "migrate")[1] == {"binsListed": 3, "accountsCounted": 1,
                                            "allowancesSplit": 0, "allowancesLeftUnsplit": 0}
    assert [bin.bin_id for bin in listings.list_bins(store, credentials, "uncategorized")] == bins[::-1]
    assert store.accounts.get(account_id).access_key_count == 2
    assert run(capsys, "migrate")[1] == {"binsListed": 0, "accountsCounted": 0,
                                            "allowancesSplit": 0, "allowancesLeftUnsplit": 0}


def _forget_key_count(store, account_id):
    """The account as a version from before access keys were counted stored it."""
    store.dynamodb.update_item(TableName=store.settings.accounts_table, Key={"accountId": {"S": account_id}},
                               UpdateExpression="REMOVE accessKeyCount")


def test_an_account_from_before_keys_were_counted_counts_its_keys_when_it_makes_or_deletes_one(store, capsys):
    master = run(capsys, "account", "create", "--plan", "pro")[1]["masterKey"]
    account_id = master.split(".")[0]
    for _ in range(3):
        run(capsys, "key", "create", "--master-key", master, "--permissions", "read")
    _forget_key_count(store, account_id)
    run(capsys, "key", "create", "--master-key", master, "--permissions", "read")
    assert store.accounts.get(account_id).access_key_count == 4
    _forget_key_count(store, account_id)
    code, _, error = run(capsys, "key", "create", "--master-key", master, "--permissions", "read")
    assert code == 1 and "4" in error  # the limit holds before binctl migrate too
    first = run(capsys, "key", "list", "--master-key", master)[1]["accessKeys"][0]["accessKeyId"]
    run(capsys, "key", "revoke", "--master-key", master, "--key", first)
    assert store.accounts.get(account_id).access_key_count == 3
    assert run(capsys, "migrate")[1] == {"binsListed": 0, "accountsCounted": 0,
                                            "allowancesSplit": 0, "allowancesLeftUnsplit": 0}
    assert store.accounts.get(account_id).access_key_count == 3


@pytest.mark.parametrize("permissions", ["", "read,own", "admin"])
def test_key_create_refuses_unknown_permissions(store, capsys, permissions):
    master = run(capsys, "account", "create", "--plan", "pro")[1]["masterKey"]
    code, output, error = run(capsys, "key", "create", "--master-key", master, "--permissions", permissions)
    assert code == 1 and output is None and "permissions must be some of create, read, update, delete" in error


def test_stack_option_reads_resource_names_from_the_stacks_outputs(store, capsys, monkeypatch):
    outputs = [{"OutputKey": output, "Value": getattr(store.settings, field)}
               for output, field in [("AccountsTableName", "accounts_table"), ("KeysTableName", "keys_table"),
                                     ("BinsTableName", "bins_table"), ("BinVersionsTableName", "bin_versions_table"),
                                     ("CollectionsTableName", "collections_table"),
                                     ("SchemaDocsTableName", "schema_docs_table"),
                                     ("IdempotencyTableName", "idempotency_table"),
                                     ("RecordsBucketName", "records_bucket"),
                                     ("UsageLogsBucketName", "usage_logs_bucket")]]
    template = {"Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
                "Outputs": {o["OutputKey"]: {"Value": o["Value"]} for o in outputs}}
    boto3.client("cloudformation").create_stack(StackName="binstore", TemplateBody=json.dumps(template))

    code, output, error = run(capsys, "--stack", "binstore", "account", "create", "--plan", "pro")

    assert code == 0, error
    assert store.accounts.get(output["accountId"]).plan == "pro"
    # The stack's outputs, for the operator's next steps (its API's URL): no other tool needed.
    code, output, error = run(capsys, "--stack", "binstore", "stack")
    assert code == 0, error
    assert output == {o["OutputKey"]: o["Value"] for o in outputs}
    code, output, error = run(capsys, "stack")
    assert (code, output) == (1, None) and "pass --stack NAME" in error
    monkeypatch.delenv("AWS_ENDPOINT_URL")  # the same answer, whatever the environment
    assert run(capsys, "stack")[::2] == (1, "binctl: binctl stack shows a deployed stack: pass --stack NAME\n")


def test_every_output_binctl_reads_is_in_the_template():
    outputs = load_template()["Outputs"]
    assert {output_key(variable) for variable in RESOURCE_VARIABLES} <= set(outputs)
    for variable in RESOURCE_VARIABLES:  # each output publishes the resource its name says
        assert outputs[output_key(variable)]["Value"] == {"Ref": logical_id(variable)}


def test_bodies_sweep_tags_bodies_no_record_points_at(store, capsys):
    master = run(capsys, "account", "create", "--plan", "pro")[1]["masterKey"]
    bin_id = run(capsys, "bin", "create", "--master-key", master, "--data", '{"a": 1}')[1]["id"]
    stray = f"records/{bin_id}/stray.json"
    store.bodies.put(stray, b"{}")

    code, output, _ = run(capsys, "bodies", "sweep", "--grace-minutes", "0")

    assert code == 0 and output == {"bins_checked": 1, "orphans_marked": 1, "bins_skipped": 0, "orphans_gone": 0}
    tags = store.s3.get_object_tagging(Bucket=store.settings.records_bucket, Key=stray)["TagSet"]
    assert tags == [{"Key": "binstore-orphan", "Value": "true"}]


def test_binctl_declares_what_it_imports_at_run_time():
    """An operator's `pip install .` gives a binctl that runs: pyproject.toml's dependencies name
    boto3 and every package the layer ships, in versions the pinned ones satisfy."""
    import tomllib

    from packaging.requirements import Requirement

    from tests.support import ROOT

    declared = {Requirement(text).name: Requirement(text)
                for text in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    pinned = {}
    for path in ("layers/shared/requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / path).read_text().splitlines():
            if line.strip() and not line.startswith(("#", "-")):
                requirement = Requirement(line)
                pinned[requirement.name] = next(iter(requirement.specifier)).version
    layer = [Requirement(line).name for line in (ROOT / "layers/shared/requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert set(declared) == {"boto3", *layer}
    assert all(declared[name].specifier.contains(pinned[name]) for name in declared)


def test_without_a_stack_or_a_local_endpoint_binctl_refuses_to_guess(store, capsys, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    code, output, error = run(capsys, "account", "create", "--plan", "free")
    assert (code, output) == (2, None) and "which stack?" in error and "--stack NAME" in error

    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://dynamodb.us-east-1.amazonaws.com")
    code, output, error = run(capsys, "account", "create", "--plan", "free")
    assert (code, output) == (2, None) and "is not an endpoint on this machine" in error


@pytest.mark.parametrize("endpoint", [
    "http://127.0.0.1.evil.example:5000", "http://192.0.2.2:5001\\@127.0.0.1:5000", "http://user@127.0.0.1:5000",
    "http://127.0.0.1:5000 ", "http://127.0.0.1:99999", "http://127.0.0.256:5000", "ftp://127.0.0.1:5000",
    "http://127.0.0.1:5000/path", "http://0x7f000001:5000",
])
def test_an_endpoint_that_is_not_plainly_on_this_machine_is_refused_naming_it(store, capsys, monkeypatch, endpoint):
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    code, output, error = run(capsys, "account", "create", "--plan", "free")
    assert (code, output) == (2, None)
    assert f"AWS_ENDPOINT_URL ({endpoint!r}) is not an endpoint on this machine" in error


def test_nothing_else_in_the_environment_sends_the_local_stacks_calls_elsewhere(store, capsys, monkeypatch):
    """boto3 honours per-service endpoints and a profile's settings; binctl's clients for the local
    stack are made for its endpoint, region and dummy keys alone."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://192.0.2.2:1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://192.0.2.2:1")
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKINGKEY00")
    code, output, error = run(capsys, "account", "create", "--plan", "free")
    assert code == 0, error
    for name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
        monkeypatch.delenv(name)  # the test's own reads, as make run's stack is reached
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert store.accounts.get(output["accountId"]).plan == "free"  # in make run's region's tables


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_loopback_endpoint_needs_no_region_nor_credentials(store, capsys, monkeypatch, moto_url, host):
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url.replace("127.0.0.1", host))
    code, output, error = run(capsys, "account", "create", "--plan", "free")
    assert code == 0, error
    assert output["requestsRemaining"] == 10_000


def test_help_says_how_binctl_chooses_its_stack(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "AWS_ENDPOINT_URL=http://127.0.0.1:<MOTO_PORT>" in capsys.readouterr().out


def test_pip_install_ships_every_package_binctl_imports():
    """`pip install .` installs the packages pyproject.toml lists, and only those: each directory
    with an __init__.py under binstore and binctl must be listed (an editable install hides a
    missing one)."""
    import tomllib

    from tests.support import ROOT

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = set()
    for package, directory in setuptools["package-dir"].items():
        for init in (ROOT / directory).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / directory)
            found.add(".".join([package, *relative.parts]))
    assert set(setuptools["packages"]) == found


# The operator's account commands


def new_account(capsys, plan="pro", *more) -> tuple[str, str]:
    """A new account's id and master key, made by binctl."""
    created = run(capsys, "account", "create", "--plan", plan, *more)[1]
    return created["accountId"], created["masterKey"]


def test_account_show_prints_the_exact_requests_left_and_what_the_account_has(store, capsys):
    account_id, master = new_account(capsys)
    collection = run(capsys, "collection", "create", "--master-key", master)[1]["id"]
    for more in ([], ["--collection", collection]):
        assert run(capsys, "bin", "create", "--master-key", master, "--data", '{"a": 1}', *more)[0] == 0
    run(capsys, "key", "create", "--master-key", master, "--permissions", "read")
    for _ in range(4):  # from shards other than the account item: its share alone says nothing of them
        store.charges.spend(account_id)

    code, output, _ = run(capsys, "account", "show", account_id)

    assert code == 0
    created_at = store.accounts.get(account_id).created_at
    assert output == {"accountId": account_id, "plan": "pro", "requestsRemaining": 100_000 - 3 - 4,
                      "bins": 2, "accessKeys": 1, "createdAt": created_at}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", created_at)


ACCOUNT_COMMANDS = [
    ["account", "show", "{}"], ["account", "set-requests", "{}", "5"], ["account", "add-requests", "{}", "5"],
    ["account", "set-plan", "{}", "free"], ["account", "rotate-key", "{}"], ["account", "delete", "{}", "--yes"],
    ["account", "delete", "{}"], ["key", "list", "--account", "{}"],
]


def test_account_commands_refuse_an_unknown_or_malformed_account_id(store, capsys):
    account_id, _ = new_account(capsys)
    for command in ACCOUNT_COMMANDS:
        for wrong, message in [("0123456789abcdef01234567", "No account 0123456789abcdef01234567"),
                               (account_id + "#1", "Invalid account id"), ("nope", "Invalid account id")]:
            code, output, error = run(capsys, *[part.format(wrong) for part in command])
            assert (code, output) == (1, None), command
            assert f"binctl: {message}" in error, command
    assert run(capsys, "account", "show", account_id)[1]["requestsRemaining"] == 100_000  # nothing else touched
    assert len(run(capsys, "key", "list", "--account", account_id)[1]["keys"]) == 1


def test_account_list_pages_through_the_table_and_lists_accounts_never_their_shards(store, capsys, monkeypatch):
    from binstore.storage import accounts

    monkeypatch.setattr(accounts, "LIST_PAGE_ITEMS", 7)  # 3 accounts of 32 items each: 14 pages
    made = {new_account(capsys, plan, *more)[0]: (plan, requests) for plan, more, requests in [
        ("free", (), 10_000), ("pro", (), 100_000), ("pro", ("--requests", "7"), 7)]}
    busy = next(iter(made))
    for _ in range(3):
        store.charges.spend(busy)

    code, output, _ = run(capsys, "account", "list")

    assert code == 0
    listed = output["accounts"]
    assert {account["accountId"]: (account["plan"], account["requestsRemaining"]) for account in listed} == {
        **made, busy: ("free", 10_000 - 3)}
    assert len(listed) == 3  # each once, and no shard item (<id>#k) among them
    assert [account["createdAt"] for account in listed] == sorted(account["createdAt"] for account in listed)


def test_set_requests_sets_the_total_over_every_shard(store, capsys):
    account_id, _ = new_account(capsys)
    store.charges.spend(account_id)
    assert run(capsys, "account", "set-requests", account_id, "42")[1] == {
        "accountId": account_id, "plan": "pro", "requestsRemaining": 42}
    assert sum(store.charges.balances(account_id)) == 42
    code, _, error = run(capsys, "account", "set-requests", account_id, "-1")
    assert code == 2 and "must be a whole number from 0 to" in error  # argparse's refusal
    assert run(capsys, "account", "show", account_id)[1]["requestsRemaining"] == 42


def test_add_requests_tops_up_an_empty_account_across_its_shards(store, capsys):
    from binstore import errors, listings
    from binstore.access import Credentials

    account_id, master = new_account(capsys, "free", "--requests", "0")
    with pytest.raises(errors.RequestsExhausted):
        listings.list_bins(store, Credentials(master_key=master), "uncategorized")

    code, output, _ = run(capsys, "account", "add-requests", account_id, "64")

    assert (code, output) == (0, {"accountId": account_id, "plan": "free", "requestsRemaining": 64, "added": 64})
    assert store.charges.balances(account_id) == [2] * 32  # every shard spends again, not the account item alone
    assert listings.list_bins(store, Credentials(master_key=master), "uncategorized") == []
    code, _, error = run(capsys, "account", "add-requests", account_id, "-5")
    assert code == 2 and "must be a whole number from 0 to" in error
    assert run(capsys, "account", "show", account_id)[1]["requestsRemaining"] == 63


def test_add_requests_loses_none_spent_while_it_runs(store, capsys):
    """Requests spent by the API's charge code while add-requests runs stay spent: the total is exact."""
    import threading

    account_id, _ = new_account(capsys, "pro", "--requests", "3000")
    stop, spent, lock = threading.Event(), [0], threading.Lock()

    def spend() -> None:
        for _ in range(400):
            if stop.is_set():
                return
            store.charges.spend(account_id)
            with lock:
                spent[0] += 1

    spenders = [threading.Thread(target=spend) for _ in range(3)]
    for thread in spenders:
        thread.start()
    try:
        for _ in range(5):
            assert run(capsys, "account", "add-requests", account_id, "100")[0] == 0
    finally:
        stop.set()
        for thread in spenders:
            thread.join()
    assert spent[0] > 0
    assert store.accounts.get_whole(account_id).requests_remaining == 3000 + 5 * 100 - spent[0]


def test_add_requests_to_an_account_from_before_the_split_adds_to_its_one_item(store, capsys):
    from tests.support.store import Account

    old = Account(store, "free")
    old.as_from_before_the_split(10)
    assert run(capsys, "account", "add-requests", old.account_id, "5")[1]["requestsRemaining"] == 15
    assert store.accounts.get(old.account_id).requests_remaining == 15  # no shard item made out of nothing
    assert store.charges.balances(old.account_id)[1:] == [0] * 31


def test_set_plan_changes_the_plan_and_leaves_the_requests(store, capsys):
    account_id, _ = new_account(capsys, "free")
    for _ in range(5):
        store.charges.spend(account_id)
    assert run(capsys, "account", "set-plan", account_id, "pro")[1] == {
        "accountId": account_id, "plan": "pro", "requestsRemaining": 10_000 - 5}
    assert store.accounts.get(account_id).plan == "pro"
    code, _, error = run(capsys, "account", "set-plan", account_id, "gold")
    assert code == 2 and "invalid choice" in error
    assert run(capsys, "account", "show", account_id)[1]["plan"] == "pro"


def test_key_list_by_account_shows_every_key_master_included_never_a_key_or_hash(store, capsys):
    account_id, master = new_account(capsys)
    made = [run(capsys, "key", "create", "--master-key", master, "--name", name, "--permissions", permissions)[1]
            for name, permissions in [("reader", "read"), ("writer", "create,update")]]
    other_id, _ = new_account(capsys)

    code, output, _ = run(capsys, "key", "list", "--account", account_id)

    assert code == 0 and output["accountId"] == account_id
    master_id = master.split(".")[1]
    assert output["keys"] == [
        {"keyId": master_id, "kind": "master", "name": None, "permissions": [],
         "createdAt": store.accounts.get_key(master_id).created_at},
        *({"keyId": key["accessKeyId"], "kind": "access", "name": key["name"], "permissions": key["permissions"],
           "createdAt": key["createdAt"]} for key in made)]
    printed = json.dumps(output)
    secrets = [master.split(".")[2], *(key["accessKey"].split(".")[2] for key in made)]
    hashes = [store.accounts.get_key(key["keyId"]).secret_hash for key in output["keys"]]
    assert not [text for text in secrets + hashes if text in printed]
    assert other_id not in printed
    # The account's own view is as it was: its access keys alone.
    assert [key["accessKeyId"] for key in run(capsys, "key", "list", "--master-key", master)[1]["accessKeys"]] == [
        key["accessKeyId"] for key in made]
    code, _, error = run(capsys, "key", "list")
    assert code == 2 and "one of the arguments --master-key --account is required" in error


def test_rotate_key_prints_a_new_master_key_stored_as_a_hash_and_revokes_the_old_at_once(store, capsys):
    from binstore import access_keys, errors
    from binstore.access import Credentials

    account_id, old = new_account(capsys)

    code, output, _ = run(capsys, "account", "rotate-key", account_id)

    assert code == 0
    new = output["masterKey"]
    assert output == {"accountId": account_id, "masterKey": new, "masterKeyId": new.split(".")[1],
                      "revoked": [old.split(".")[1]], "expiring": []}
    assert new.split(".")[0] == account_id and new != old
    stored = store.dynamodb.get_item(TableName=store.settings.keys_table, Key={"keyId": {"S": new.split(".")[1]}})
    assert new.split(".")[2] not in str(stored["Item"]) and stored["Item"]["kind"] == {"S": "master"}
    assert store.accounts.get_key(old.split(".")[1]) is None  # deleted: refused as an unknown key is
    with pytest.raises(errors.InvalidKey):
        access_keys.list_access_keys(store, Credentials(master_key=old), charged=False)
    assert access_keys.list_access_keys(store, Credentials(master_key=new), charged=False) == []
    assert [key["kind"] for key in run(capsys, "key", "list", "--account", account_id)[1]["keys"]] == ["master"]


def test_rotate_key_with_a_grace_period_gives_the_old_key_an_expiry_and_a_later_rotation_removes_it(
        store, capsys, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from binstore import model

    account_id, first = new_account(capsys)
    now = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(model, "now", lambda: now)

    second = run(capsys, "account", "rotate-key", account_id, "--grace-minutes", "30")[1]

    first_id = first.split(".")[1]
    assert second["revoked"] == []
    assert second["expiring"] == [{"keyId": first_id, "expiresAt": "2030-05-01T12:30:00.000Z"}]
    item = store.dynamodb.get_item(TableName=store.settings.keys_table, Key={"keyId": {"S": first_id}})["Item"]
    assert item["expiresAt"] == {"S": "2030-05-01T12:30:00.000Z"}  # text: no TTL ever deletes a key for it
    listed = run(capsys, "key", "list", "--account", account_id)[1]["keys"]
    assert {key["keyId"]: key.get("expiresAt") for key in listed} == {
        first_id: "2030-05-01T12:30:00.000Z", second["masterKeyId"]: None}

    now += timedelta(minutes=31)  # the first key has expired: the next rotation deletes it
    third = run(capsys, "account", "rotate-key", account_id, "--grace-minutes", "60")[1]
    assert third["revoked"] == [first_id]
    assert third["expiring"] == [{"keyId": second["masterKeyId"], "expiresAt": "2030-05-01T13:31:00.000Z"}]
    assert store.accounts.get_key(first_id) is None
    # A rotation never moves an expiry later: the second key keeps the end this one gave it.
    fourth = run(capsys, "account", "rotate-key", account_id, "--grace-minutes", "600")[1]
    assert {key["keyId"]: key["expiresAt"] for key in fourth["expiring"]}[second["masterKeyId"]] == (
        "2030-05-01T13:31:00.000Z")
    code, _, error = run(capsys, "account", "rotate-key", account_id, "--grace-minutes", str(31 * 24 * 60))
    assert code == 2 and "from 0 to 43200" in error  # 30 days, in minutes
    with pytest.raises(ValueError, match="the grace period must be 0 to 30 days"):  # the domain's own bound
        provisioning.rotate_master_key(store, account_id, timedelta(days=31))


# binctl account delete


def everything_stored(store) -> set[tuple[str, str]]:
    """Every item of every table and every object of every bucket, each as (where, what)."""
    found = set()
    for table in store.dynamodb.list_tables()["TableNames"]:
        for page in store.dynamodb.get_paginator("scan").paginate(TableName=table):
            found |= {(table, json.dumps(item, sort_keys=True)) for item in page["Items"]}
    for bucket in (store.settings.records_bucket, store.settings.usage_logs_bucket):
        for page in store.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            found |= {(bucket, f"{listed['Key']} {listed['ETag']}") for listed in page.get("Contents", [])}
    return found


def an_account_with_one_of_everything(store):
    """A pro account with a versioned bin, a public bin, a collection with a schema doc and a bin in
    it, an access key and two usage log objects; its id and every id a stored thing of it may carry,
    and (third) the account itself with its public bin's id. Made through the domain's code on the
    test's Store (binctl's own make new clients each run)."""
    from binstore.records import RequestBody
    from binstore.updates import UpdateRequest, update_bin
    from tests.support.store import Account

    account = Account(store, "pro")
    schema_doc = account.create_schema_doc({"type": "object"})
    collection = account.create_collection(schema_doc)
    versioned, public = account.create_bin({"n": 0}), account.create_bin({"n": 0}, private=False)
    collected = account.create_bin({"n": 0}, collection_id=collection)
    for n in (1, 2):
        update_bin(store, UpdateRequest(versioned, RequestBody(f'{{"n": {n}}}'.encode()), account.credentials,
                                        versioning=True))
    access_key = account.create_access_key("read")
    for name in ("2026-01-01/a.json", "2026-01-02/b.json"):
        store.s3.put_object(Bucket=store.settings.usage_logs_bucket, Key=f"usage/{account.account_id}/{name}",
                            Body=b"{}")
    ids = {account.account_id, versioned, public, collected, collection, schema_doc, access_key.split(".")[1]}
    return account.account_id, ids, (account, public)


def of(ids: set[str], stored: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return {thing for thing in stored if any(id_ in thing[1] for id_ in ids)}


def test_account_delete_deletes_everything_of_the_account_and_nothing_else(store, capsys):
    account_id, ids, _ = an_account_with_one_of_everything(store)
    other_id, _, _ = an_account_with_one_of_everything(store)
    before = everything_stored(store)
    assert len(of(ids, before)) > 40 and len(of({other_id}, before)) > 40

    code, output, _ = run(capsys, "account", "delete", account_id, "--yes")

    assert code == 0
    assert output == {"accountId": account_id, "deleted": {
        "keys": 2, "bins": 3, "versionRows": 2, "bodies": 5, "collections": 1, "schemaDocs": 1,
        "usageLogObjects": 2, "accounts": 1}}
    after = everything_stored(store)
    assert of(ids, after) == set()  # in no table and no bucket
    assert after == before - of(ids, before)  # everything else exactly as it was
    code, _, error = run(capsys, "account", "delete", account_id, "--yes")
    assert code == 1 and f"No account {account_id}" in error


def test_account_delete_without_yes_says_what_it_would_delete_and_deletes_nothing(store, capsys):
    account_id, _, _ = an_account_with_one_of_everything(store)
    before = everything_stored(store)

    code, output, error = run(capsys, "account", "delete", account_id)

    assert (code, output) == (1, None)
    for what in ("keys (master and access): 2;", "bins, with every version and record body: 3;", "collections: 1;",
                 "schema docs: 1;", "usage logs", "stay recoverable", "NoncurrentBodyRetentionDays", "Add --yes"):
        assert what in error
    assert everything_stored(store) == before


def test_account_delete_leaves_its_bodies_noncurrent_versions_until_the_lifecycle_expires_them(store, capsys):
    """The records bucket is versioned: each body deleted is gone for every reader (what the test
    above checks), and stays a noncurrent version under a delete marker, recoverable until the
    bucket's lifecycle rule deletes it (docs/operations.md)."""
    from binstore.storage.bodies import bin_prefix

    account_id, _, _ = an_account_with_one_of_everything(store)
    bin_ids = store.bins.ids_owned_by(account_id)

    code, output, _ = run(capsys, "account", "delete", account_id, "--yes")

    assert code == 0
    listed = [store.s3.list_object_versions(Bucket=store.settings.records_bucket, Prefix=bin_prefix(bin_id))
              for bin_id in bin_ids]
    versions = [version for listing in listed for version in listing.get("Versions", [])]
    markers = [marker for listing in listed for marker in listing.get("DeleteMarkers", [])]
    assert len(versions) == len(markers) == output["deleted"]["bodies"] == 5
    assert not any(version["IsLatest"] for version in versions) and all(marker["IsLatest"] for marker in markers)


@pytest.mark.parametrize("crashing, calls_before", [
    ("binstore.storage.bins.BinTables.delete_version_rows", 0),  # a bin's bodies gone, its rows and item left
    ("binstore.storage.collections.CollectionTables.remove_schema_doc", 0),
    ("binstore.storage.usage.UsageLogs.delete_account_logs", 0),
    ("binstore.storage.accounts.AccountTables.delete_account_item", 0),  # its allowance's shards gone
], ids=["bin", "schema doc", "usage logs", "account item"])
def test_account_delete_run_again_after_a_crash_finishes_the_job(store, capsys, monkeypatch,
                                                                 crashing, calls_before):
    import importlib

    from binstore import errors, reads
    from binstore.access import Credentials, authenticate
    from binstore.model import StorageUnavailable

    account_id, ids, (account, public_bin) = an_account_with_one_of_everything(store)
    before = everything_stored(store)
    module, cls, method = crashing.rsplit(".", 2)
    owner = getattr(importlib.import_module(module), cls)
    original, calls = getattr(owner, method), []

    def crash(*args, **kwargs):
        calls.append(1)
        if len(calls) > calls_before:
            raise StorageUnavailable("the process died here")
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, method, crash)
    code, _, error = run(capsys, "account", "delete", account_id, "--yes")
    assert code == 2 and "the process died here" in error
    # Its keys went first, then its allowance (which requests on public bins spend): nothing acts
    # for the account while its deletion is unfinished.
    with pytest.raises(errors.InvalidKey):
        authenticate(store, account.credentials)
    if crashing.endswith("delete_version_rows"):  # its bins are still there
        with pytest.raises(errors.RequestsExhausted):
            reads.read_bin(store, public_bin, Credentials())
    monkeypatch.setattr(owner, method, original)

    code, output, _ = run(capsys, "account", "delete", account_id, "--yes")

    assert code == 0 and output["deleted"]["accounts"] == 1
    after = everything_stored(store)
    assert of(ids, after) == set()
    assert after == before - of(ids, before)


def test_a_stack_looked_for_at_make_run_s_endpoint_says_where_it_looked(store, capsys, monkeypatch):
    """make run's export left in the shell sends --stack's lookup to moto: the error says so."""
    code, output, error = run(capsys, "--stack", "binstore", "account", "list")
    assert (code, output) == (2, None)
    assert "does not exist" in error
    assert f"asked AWS_ENDPOINT_URL={os.environ['AWS_ENDPOINT_URL']}, not AWS" in error
    assert "unset AWS_ENDPOINT_URL" in error
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    assert resources.endpoint_note() == ""


@pytest.mark.parametrize("command", [
    ["account", "create", "--plan", "free", "--requests"],
    ["account", "add-requests", "0123456789abcdef01234567"],
    ["account", "set-requests", "0123456789abcdef01234567"],
    ["account", "rotate-key", "0123456789abcdef01234567", "--grace-minutes"],
    ["bodies", "sweep", "--grace-minutes"],
])
@pytest.mark.parametrize("value", ["9" * 41, "99999999999999999999999", "-1", "\u0663", "1_000", "+5", "1e9", ""])
def test_numbers_binctl_cannot_hold_are_refused_as_usage_errors(capsys, command, value):
    """Never a traceback (an OverflowError, decimal.Rounded) nor a count a client cannot hold:
    argparse's usage error, exit 2, before binctl reaches any stack."""
    code, output, error = run(capsys, *command, value)
    assert (code, output) == (2, None)
    assert "must be a whole number from 0 to" in error and "Traceback" not in error


def test_the_largest_counts_are_taken(store, capsys):
    code, output, _ = run(capsys, "account", "create", "--plan", "free", "--requests", str(10**15))
    assert code == 0 and output["requestsRemaining"] == 10**15
    code, _, error = run(capsys, "account", "rotate-key", output["accountId"], "--grace-minutes", "43201")
    assert code == 2 and "from 0 to 43200" in error


def test_a_reader_that_stops_early_gets_no_traceback(store):
    """`binctl account list | head -c 10`: the pipe is closed before binctl writes (here, from the start)."""
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run([sys.executable, "-m", "binctl.cli", "account", "list"], stdout=write_end,
                                stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def test_of_two_rotations_at_once_one_wins_and_the_other_makes_no_key(store, monkeypatch):
    """Both read the same current key; the second to claim it finds it changed, withdraws its new key
    and says so: exactly one new master key works, the one its rotation printed, and no other."""
    from binstore import errors
    from binstore.access import valid_key
    from binstore.keys import parse_key

    account_id = provisioning.create_account(store, "pro").account.account_id
    first_seen = store.accounts.get(account_id)
    real_get = type(store.accounts).get

    racing = []

    def get_then_rotate_first(self, wanted):
        # The second rotation reads the account, then the first rotation runs whole, then the second goes on.
        account = real_get(self, wanted)
        if not racing:
            racing.append(None)  # the first rotation's own read goes straight through
            racing[0] = provisioning.rotate_master_key(store, account_id)
        return account

    monkeypatch.setattr(type(store.accounts), "get", get_then_rotate_first)
    with pytest.raises(errors.ConcurrentRotation, match="ran at the same time"):
        provisioning.rotate_master_key(store, account_id)
    monkeypatch.setattr(type(store.accounts), "get", real_get)

    (winner,) = racing
    masters = [key for key in store.accounts.keys_of(account_id) if key.kind == "master"]
    assert [key.key_id for key in masters] == [winner.master_key_id]  # the loser's key is gone; the old one too
    assert store.accounts.get(account_id).master_key_id == winner.master_key_id != first_seen.master_key_id
    stored = store.accounts.get_key(winner.master_key_id)
    assert valid_key(parse_key(winner.master_key), stored, "master")


def test_a_rotation_finds_the_current_key_on_the_account_even_before_the_index_lists_it(store, monkeypatch):
    """The keys table's index may lag a key made a moment ago; the account item names its current
    master key, read consistently, so a rotation right after another still ends it."""
    account_id = provisioning.create_account(store, "pro").account.account_id
    first = provisioning.rotate_master_key(store, account_id)
    monkeypatch.setattr(type(store.accounts), "keys_of", lambda self, wanted: [])  # an index that lags
    second = provisioning.rotate_master_key(store, account_id)
    assert second.revoked == [first.master_key_id]
    assert store.accounts.get_key(first.master_key_id) is None


def test_a_profile_of_the_environment_is_never_read_for_the_local_stack(store, capsys, monkeypatch):
    """AWS_PROFILE names a real account, and may not even exist on this machine: the local stack
    needs none of it."""
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile-here")
    code, output, error = run(capsys, "account", "create", "--plan", "free")
    assert (code, error) == (0, "") and output["plan"] == "free"


def test_adding_requests_never_takes_an_account_past_the_most_it_may_have(store, capsys):
    account_id = run(capsys, "account", "create", "--plan", "free", "--requests", str(10**15 - 5))[1]["accountId"]
    code, _, error = run(capsys, "account", "add-requests", account_id, "6")
    assert code == 1 and "at most 1000000000000000 requests left" in error
    assert run(capsys, "account", "add-requests", account_id, "5")[1]["requestsRemaining"] == 10**15


def test_adds_at_the_same_moment_never_take_an_account_past_what_json_holds_exactly(store, monkeypatch):
    """The cap is checked on a read, which adds at the same moment all pass; each shard's write
    has a ceiling, so together they never pass 2**53 - 1 (here: every add reads an empty account)."""
    account_id = provisioning.create_account(store, "free", 0).account.account_id
    real_whole = type(store.accounts).whole
    monkeypatch.setattr(type(store.accounts), "whole",
                        lambda self, account: real_whole(self, account).__class__(
                            **{**vars(real_whole(self, account)), "requests_remaining": 0}))
    monkeypatch.setattr("binstore.retries.backoff", lambda attempt: None)
    added = 0
    for _ in range(12):  # 12 adds of 10**15 that each believe the account empty: 1.2e16 > 2**53
        try:
            provisioning.add_requests(store, account_id, 10**15)
            added += 10**15
        except ValueError as refused:
            assert "nothing was added" in str(refused)
            break
    monkeypatch.setattr(type(store.accounts), "whole", real_whole)
    total = store.accounts.get_whole(account_id).requests_remaining
    assert total == added <= 2**53 - 1 and added >= 8 * 10**15  # exact, and refused only near the ceiling


def test_a_rotation_superseded_by_a_later_one_prints_no_key(store, monkeypatch):
    """A rotation that claims the current key, then sees a later rotation replace it before it ends,
    says so rather than print a key that no longer works."""
    from binstore import errors

    account_id = provisioning.create_account(store, "pro").account.account_id
    real_expire = type(store.accounts).delete_key
    later = []

    def delete_then_let_a_later_rotation_run(self, key_id):
        real_expire(self, key_id)
        if not later:
            later.append(None)
            later[0] = provisioning.rotate_master_key(store, account_id)

    monkeypatch.setattr(type(store.accounts), "delete_key", delete_then_let_a_later_rotation_run)
    with pytest.raises(errors.RotationSuperseded, match="started after this one"):
        provisioning.rotate_master_key(store, account_id)
    monkeypatch.setattr(type(store.accounts), "delete_key", real_expire)
    masters = [key.key_id for key in store.accounts.keys_of(account_id) if key.kind == "master"]
    assert masters == [later[0].master_key_id]


def test_key_list_marks_a_rotated_key_past_its_end_as_expired(store, capsys):
    from datetime import timedelta

    account_id = provisioning.create_account(store, "pro").account.account_id
    provisioning.rotate_master_key(store, account_id, timedelta(minutes=5),
                                   now=provisioning.model.now() - timedelta(minutes=10))
    keys = run(capsys, "key", "list", "--account", account_id)[1]["keys"]
    expired = {key["keyId"]: key.get("expired") for key in keys if key["kind"] == "master"}
    assert sorted(expired.values(), key=str) == [None, True]  # the new key has no end; the old one's is past


def test_a_rotation_during_an_account_delete_leaves_no_key_behind(store, monkeypatch):
    """A rotation that claims the account after its keys were deleted, before the account item is:
    the deletion's last step deletes the key it made; nothing of the account is left in the keys table."""
    from binstore import account_deletion

    account_id = provisioning.create_account(store, "pro").account.account_id
    real_set_allowance = type(store.accounts).set_allowance
    rotated = []

    def zero_then_rotate(self, wanted, total):
        real_set_allowance(self, wanted, total)
        if not rotated:  # step 1 is done: the keys are gone, the account item is still there
            rotated.append(provisioning.rotate_master_key(store, account_id))

    monkeypatch.setattr(type(store.accounts), "set_allowance", zero_then_rotate)
    deleted = account_deletion.delete_account(store, account_id)
    assert deleted.keys == 2  # the first master key, then the one the rotation made
    assert store.accounts.key_ids_owned_by(account_id) == []
