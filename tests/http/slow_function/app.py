"""A function that never answers a request whose path ends in /stuck: for the local gateway's timeout test."""

import json
import time


def lambda_handler(event, context):
    if event["rawPath"].endswith("/stuck"):
        time.sleep(3600)
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps({"ok": True})}
