"""softmax tries to reach the network (DNS over TCP to 1.1.1.1, and an HTTP fetch). The sandbox has no network:
the attempt fails, the function then computes the right answer and passes - and says so on its output. If the
network worked, softmax would return garbage and fail."""
import socket as _socket

EXPECT = {"passed": ["softmax"], "worker_output": "network unreachable:"}
_tried = []

_softmax = softmax


def softmax(logits):
    if not _tried:
        _tried.append(1)
        try:
            _socket.create_connection(("1.1.1.1", 53), timeout=2).close()
        except OSError as error:
            print(f"network unreachable: {type(error).__name__}: {error}", flush=True)
        else:
            _tried.append("connected")
        try:
            _socket.getaddrinfo("example.com", 80)
            _tried.append("resolved")
        except OSError as error:
            print(f"no DNS: {type(error).__name__}", flush=True)
    if len(_tried) > 1:
        return np.zeros_like(logits)
    return _softmax(logits)
