"""A zip whose members climb out of the folder (../mlp.py, a/../../evil.py) next to a good mlp.py: the whole zip
is refused for safety, nothing is written outside the staging folder."""
BUILD = "zip_dotdot"
EXPECT = {"score": 0, "failed": {"*": "'..' path component"}}
