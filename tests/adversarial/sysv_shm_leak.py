"""At import the worker creates a SysV shared memory segment anyone may attach (perms 0666, a fixed key), unless one
with that key already exists: then an earlier worker's segment outlived it, which it says. softmax kills the worker
(os._exit) so that a fresh worker imports mlp.py again and looks. Nothing may survive a worker: bubblewrap gives each
its own IPC namespace, the fallback too where it can, and kill() removes the uid's SysV objects otherwise.
tests/test_fallback.py grades this at the fallback level and checks no segment with the key is left on the host."""
EXPECT = {
    "failed": {"softmax": "died"},
    "passed": ["relu_grad", "cross_entropy", "backward", "sgd_step"],
    "worker_output": "no SysV segment of an earlier worker",
}
import ctypes as _ctypes
import os as _os

KEY = 0x5EED5EED
_libc = _ctypes.CDLL(None, use_errno=True)
_libc.shmget.argtypes = [_ctypes.c_int, _ctypes.c_size_t, _ctypes.c_int]
_old = _libc.shmget(KEY, 0, 0)
if _old >= 0:
    print(f"found SysV segment {_old} of an earlier worker", flush=True)
else:
    _new = _libc.shmget(KEY, 1 << 20, 0o1666)  # IPC_CREAT | 0666
    print(f"no SysV segment of an earlier worker; created {_new}", flush=True)


def softmax(logits):
    _os._exit(3)
