"""binctl.resources: one naming rule from a settings variable to the template's resource, its stack
output, and the name `make run` gives it."""

import pytest
from binctl.resources import local_name, local_settings, logical_id, output_key, settings_from_outputs
from binstore.settings import RESOURCE_VARIABLES


@pytest.mark.parametrize("variable, resource, output", [
    ("ACCOUNTS_TABLE", "AccountsTable", "AccountsTableName"),
    ("BIN_VERSIONS_TABLE", "BinVersionsTable", "BinVersionsTableName"),
    ("SCHEMA_DOCS_TABLE", "SchemaDocsTable", "SchemaDocsTableName"),
    ("RECORDS_BUCKET", "RecordsBucket", "RecordsBucketName"),
])
def test_a_variable_names_its_resource_and_output(variable, resource, output):
    assert logical_id(variable) == resource
    assert output_key(variable) == output


@pytest.mark.parametrize("resource, name", [("AccountsTable", "AccountsTable"), ("RecordsBucket", "recordsbucket"),
                                            ("BucketsTable", "BucketsTable")])
def test_make_run_names_a_resource_by_its_logical_id_a_bucket_in_lower_case(resource, name):
    assert local_name(resource) == name


def test_local_settings_are_the_local_names_unless_the_environment_names_others():
    settings = local_settings()
    assert (settings.accounts_table, settings.records_bucket) == ("AccountsTable", "recordsbucket")
    assert settings.bin_versions_table == "BinVersionsTable"
    named = local_settings({"BINS_TABLE": "deployed-bins", "KEYS_TABLE": ""})
    assert (named.bins_table, named.keys_table, named.accounts_table) == ("deployed-bins", "KeysTable", "AccountsTable")


def test_settings_from_a_stacks_outputs():
    outputs = {output_key(variable): f"stack-{variable.lower()}" for variable in RESOURCE_VARIABLES}
    settings = settings_from_outputs({**outputs, "ApiUrl": "https://api.example"})
    for variable in RESOURCE_VARIABLES:
        assert getattr(settings, variable.lower()) == f"stack-{variable.lower()}"


def test_outputs_missing_are_named_in_one_error():
    outputs = {output_key(variable): "x" for variable in RESOURCE_VARIABLES}
    del outputs["KeysTableName"], outputs["BinsTableName"]
    with pytest.raises(ValueError) as failed:
        settings_from_outputs(outputs)
    assert str(failed.value) == "the stack has no output BinsTableName, KeysTableName: is it a binstore stack?"
    with pytest.raises(ValueError, match="is it a binstore stack"):
        settings_from_outputs({"ApiUrl": "https://example"})
