"""At import, a double-forked setsid grandchild (all fds closed) sleeps 3 s and then rewrites results.json in the
out folder guessed from mlp.py's path (and /tmp). The test waits 5 s after grading: results.json is unchanged and
no process of the submission is left."""
import json as _json
import os as _os
import time as _time
from pathlib import Path as _Path

EXPECT = {"score": 75, "passed": ["*"], "worker_output": "late writer"}

_OUT = _Path(__file__).resolve().parent.parent


def _late_writer():
    pid = _os.fork()
    if pid:
        _os.waitpid(pid, 0)
        return
    try:
        _os.setsid()
        grandchild = _os.fork()
        if grandchild:
            print(f"late writer {grandchild} started", flush=True)
        else:
            _os.closerange(0, 1024)
            _time.sleep(3)
            for target in (_OUT / "results.json", _Path("/tmp/results.json")):
                try:
                    target.write_text(_json.dumps({"score": 100, "output": "FORGED late"}))
                except OSError:
                    pass
    finally:
        _os._exit(0)


_late_writer()
