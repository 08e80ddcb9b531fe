"""os._exit(0) while mlp.py is imported: the worker vanishes before saying hello."""
import os

EXPECT = {"score": 0, "failed": {"*": "importing mlp.py"}}

os._exit(0)
