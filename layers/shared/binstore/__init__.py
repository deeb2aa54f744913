"""binstore: JSONBin.io v3 compatible bin storage.

The domain (bins, updates, collections, schema_docs, access, allowance, provisioning, ...) knows
nothing of HTTP or of AWS: it works with binstore.model's entities and errors. binstore.storage owns
every AWS call and turns every AWS failure into a model error. The Lambda handlers under functions/
translate HTTP (or stream and schedule events) to and from the domain.
"""
