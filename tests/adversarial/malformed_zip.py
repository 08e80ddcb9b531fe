"""A .zip that starts like a zip and then is garbage: refused with a clear message, 0 points."""
BUILD = "malformed_zip"
EXPECT = {"score": 0, "failed": {"*": "the zip is malformed"}}
