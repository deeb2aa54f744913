"""Create the stack's tables and bucket in moto, exactly as template.yaml declares them."""

from local.template import load_template, local_names, resources_of_type

# The parts of AWS::DynamoDB::Table that shape a table (the rest, such as PITR, is AWS-only).
_TABLE_SHAPE = ("AttributeDefinitions", "KeySchema", "BillingMode", "GlobalSecondaryIndexes", "LocalSecondaryIndexes")


def create_resources(dynamodb, s3, template: dict | None = None) -> dict[str, str]:
    """Create every table and bucket of the template; return their names by logical id.

    A bucket gets the template's versioning and lifecycle rules too: code that deletes a body then
    meets what it meets in AWS (a delete marker, the body kept as a noncurrent version). moto
    stores the lifecycle rules but never runs them.
    """
    template = template or load_template()
    names = local_names(template)
    for logical_id, resource in resources_of_type(template, "AWS::DynamoDB::Table").items():
        properties = resource["Properties"]
        shape = {key: properties[key] for key in _TABLE_SHAPE if key in properties}
        dynamodb.create_table(TableName=names[logical_id], **shape)
    for logical_id, resource in resources_of_type(template, "AWS::S3::Bucket").items():
        bucket = names[logical_id]
        s3.create_bucket(Bucket=bucket)
        properties = resource.get("Properties", {})
        if "VersioningConfiguration" in properties:
            status = properties["VersioningConfiguration"]["Status"]
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})
        if "LifecycleConfiguration" in properties:
            rules = [lifecycle_rule(rule, template) for rule in properties["LifecycleConfiguration"]["Rules"]]
            s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    return names


# CloudFormation's names of a lifecycle rule's actions, and S3's (PutBucketLifecycleConfiguration).
_DAYS = {
    "ExpirationInDays": ("Expiration", "Days"),
    "NoncurrentVersionExpirationInDays": ("NoncurrentVersionExpiration", "NoncurrentDays"),
}
_FLAGS = {"ExpiredObjectDeleteMarker": ("Expiration", "ExpiredObjectDeleteMarker")}
_ACTIONS = {"AbortIncompleteMultipartUpload", "NoncurrentVersionExpiration"}  # the same shape in both
_FILTERS = {"Prefix", "TagFilters"}


def lifecycle_rule(rule: dict, template: dict) -> dict:
    """One rule of an AWS::S3::Bucket's LifecycleConfiguration, as S3's API takes it; a !Ref to a
    parameter is its default. A property not translated here is refused, never dropped."""
    unknown = set(rule) - {"Id", "Status", *_DAYS, *_FLAGS, *_ACTIONS, *_FILTERS}
    if unknown:
        raise ValueError(f"lifecycle rule {rule.get('Id')}: {sorted(unknown)} not emulated locally")
    translated: dict = {"ID": rule["Id"], "Status": rule["Status"], "Filter": _filter(rule)}
    for name, (action, field) in {**_DAYS, **_FLAGS}.items():
        if name in rule:
            value = _value(rule[name], template)
            translated.setdefault(action, {})[field] = value if name in _FLAGS else int(value)
    for action in _ACTIONS & set(rule):
        translated[action] = {field: int(_value(value, template)) for field, value in rule[action].items()}
    return translated


def _filter(rule: dict) -> dict:
    tags = rule.get("TagFilters", [])
    if "Prefix" in rule and tags:
        return {"And": {"Prefix": rule["Prefix"], "Tags": tags}}
    if "Prefix" in rule:
        return {"Prefix": rule["Prefix"]}
    if len(tags) == 1:
        return {"Tag": tags[0]}
    return {"And": {"Tags": tags}} if tags else {}


def _value(value, template: dict):
    """A property's value; a !Ref to a parameter is the parameter's default."""
    if isinstance(value, dict) and "Ref" in value:
        return template["Parameters"][value["Ref"]]["Default"]
    return value
