"""binctl: provision accounts, keys, schema docs, collections and bins."""
