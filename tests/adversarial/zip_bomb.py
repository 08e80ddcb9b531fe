"""A zip with a good mlp.py and a 19 MB member of zeros that compresses ~1000:1: refused as a zip bomb before
anything is extracted."""
BUILD = "zip_bomb"
EXPECT = {"score": 0, "failed": {"*": "zip bomb"}}
