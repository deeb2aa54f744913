"""Create the stack's tables and bucket in moto, exactly as template.yaml declares them."""

from local.template import load_template, local_names, resources_of_type

# The parts of AWS::DynamoDB::Table that shape a table (the rest, such as PITR, is AWS-only).
_TABLE_SHAPE = ("AttributeDefinitions", "KeySchema", "BillingMode", "GlobalSecondaryIndexes", "LocalSecondaryIndexes")


def create_resources(dynamodb, s3, template: dict | None = None) -> dict[str, str]:
    """Create every table and bucket of the template; return their names by logical id."""
    template = template or load_template()
    names = local_names(template)
    for logical_id, resource in resources_of_type(template, "AWS::DynamoDB::Table").items():
        properties = resource["Properties"]
        shape = {key: properties[key] for key in _TABLE_SHAPE if key in properties}
        dynamodb.create_table(TableName=names[logical_id], **shape)
    for logical_id in resources_of_type(template, "AWS::S3::Bucket"):
        s3.create_bucket(Bucket=names[logical_id])
    return names
