"""A zip whose mlp.py member declares 1 KB but inflates to 5 MB (header forged after writing): the bounded read
refuses it."""
BUILD = "zip_lying_sizes"
EXPECT = {"score": 0, "failed": {"*": "refused"}}
