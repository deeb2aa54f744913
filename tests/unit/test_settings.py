"""binstore.settings: the resource names a function reads from its environment, and nothing else."""

import pytest
from binstore.settings import DEFAULT_BUY_REQUESTS_AT, RESOURCE_VARIABLES, MissingSetting, Settings

EVERY = {variable: f"name-of-{variable.lower()}" for variable in RESOURCE_VARIABLES}


def test_the_resource_variables_are_the_stacks_tables_and_bucket():
    assert set(RESOURCE_VARIABLES) == {
        "ACCOUNTS_TABLE", "KEYS_TABLE", "BINS_TABLE", "BIN_VERSIONS_TABLE", "COLLECTIONS_TABLE",
        "SCHEMA_DOCS_TABLE", "IDEMPOTENCY_TABLE", "RECORDS_BUCKET", "USAGE_LOGS_BUCKET"}
    assert len(RESOURCE_VARIABLES) == 9 and "BUY_REQUESTS_AT" not in RESOURCE_VARIABLES


def test_every_variable_names_its_setting():
    settings = Settings.from_environment(EVERY)
    for variable in RESOURCE_VARIABLES:
        assert getattr(settings, variable.lower()) == f"name-of-{variable.lower()}"
    assert settings.buy_requests_at == DEFAULT_BUY_REQUESTS_AT == "the provider that issued your API key"


@pytest.mark.parametrize("value", ["", None], ids=["empty", "absent"])
def test_a_needed_variable_missing_or_empty_fails_naming_it(value):
    environ = {name: setting for name, setting in EVERY.items() if name != "BINS_TABLE"}
    if value is not None:
        environ["BINS_TABLE"] = value
    with pytest.raises(MissingSetting) as failed:
        Settings.from_environment(environ)
    assert str(failed.value).startswith("BINS_TABLE not set")
    assert "KEYS_TABLE" not in str(failed.value)


def test_every_missing_variable_is_named():
    with pytest.raises(MissingSetting) as failed:
        Settings.from_environment({}, needed=["RECORDS_BUCKET", "KEYS_TABLE"])
    assert str(failed.value).startswith("RECORDS_BUCKET, KEYS_TABLE not set")


def test_variables_not_needed_may_be_absent():
    settings = Settings.from_environment({"RECORDS_BUCKET": "bucket"}, needed=["RECORDS_BUCKET"])
    assert settings.records_bucket == "bucket"
    assert settings.bins_table == settings.accounts_table == ""
    assert Settings.from_environment({}, needed=[]) == Settings()


def test_a_needed_name_that_is_no_setting_is_a_programming_error():
    with pytest.raises(ValueError, match="^no such setting: BUCKET, NOPE$"):
        Settings.from_environment(EVERY, needed=["NOPE", "RECORDS_BUCKET", "BUCKET"])
    with pytest.raises(ValueError, match="no such setting: BUY_REQUESTS_AT"):
        Settings.from_environment(EVERY, needed=["BUY_REQUESTS_AT"])


@pytest.mark.parametrize("value, expected", [("https://shop.example", "https://shop.example"),
                                             ("", DEFAULT_BUY_REQUESTS_AT)])
def test_where_to_buy_requests_comes_from_buy_requests_at(value, expected):
    assert Settings.from_environment({**EVERY, "BUY_REQUESTS_AT": value}).buy_requests_at == expected
