"""binstore: JSONBin.io v3 compatible bin storage.

Domain modules (ids, keys, plans, records, schemas, updates, provisioning) know nothing of HTTP;
storage.py owns every boto3 call. The Lambda handler in functions/bins translates HTTP to and from them.
"""
