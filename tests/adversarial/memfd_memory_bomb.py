"""softmax holds memory that RLIMIT_AS does not count: memfd_create + write (16 MiB per memfd, the file size limit)
until it runs out of descriptors, then files in /dev/shm and the scratch dir, aiming at 6 GiB. The worker's own
address space stays small. The sandbox's cgroup charges those pages: the kernel kills the worker at the memory
limit (host memory stays bounded; tests/test_sandbox.py measures it), softmax fails, a fresh worker grades the rest.
Without a cgroup (Docker's default) the descriptor limit and /dev/shm's size bound it, and softmax fails with OSError."""
EXPECT = {
    "failed": {"softmax": ""},
    "passed": ["relu_grad", "cross_entropy", "backward", "sgd_step"],
    "not_timed_out": ["*"],
    "status": "graded",
}
import os as _os
import tempfile as _tempfile


def _fill(fd):
    """Write 1 MiB chunks into ``fd`` until the file size limit (EFBIG); True if it stopped for another reason."""
    chunk = b"\1" * (1 << 20)
    try:
        while True:
            _os.write(fd, chunk)
    except OSError as error:
        return error.errno != 27


def softmax(logits):
    memfds, more_memfds, places, made = [], True, ["/dev/shm", _tempfile.gettempdir()], 0
    while more_memfds or places:
        try:
            if more_memfds:
                memfds.append(_os.memfd_create("bomb"))  # kept open; EMFILE once the descriptors run out
                _fill(memfds[-1])
                continue
            fd = _os.open(f"{places[0]}/bomb-{made}", _os.O_WRONLY | _os.O_CREAT, 0o600)
            made += 1
            if _fill(fd):  # ENOSPC: that place is full
                places.pop(0)
            _os.close(fd)
        except OSError:
            if more_memfds:  # out of descriptors: give one back for the files
                more_memfds = False
                _os.close(memfds.pop())
            else:
                places.pop(0)
    raise RuntimeError(f"still alive with {len(memfds)} memfds and {made} files: the places to fill ran out")
