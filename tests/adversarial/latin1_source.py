"""mlp.py saved as Latin-1 (a comment with an accented letter): refused by the static check as not UTF-8, 0 points,
with the offending byte and line."""
BUILD = "latin1_source"
EXPECT = {"score": 0, "failed": {"*": "not valid UTF-8"}, "output": "[encoding]"}
