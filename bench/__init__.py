"""`make bench`: what an update costs and how long it takes (see bench/__main__.py)."""
