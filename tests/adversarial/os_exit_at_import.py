"""os._exit(0) while mlp.py is imported: the worker vanishes before saying hello."""
import os

EXPECT = {"score": 0, "failed": {"*": "importing mlp.py"}}
KNOWN_BUG = ("RemoteMlp.start() lets the WorkerError of a worker that dies (or hangs) during the import escape "
             "from RemoteMlp.__enter__, so grade() reports a grader_error ('internal error') instead of a student "
             "verdict.")

os._exit(0)
