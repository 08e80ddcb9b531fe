"""The wire format between grader and worker: JSON plus raw ``.npy`` blobs, never pickle.

A message is a 4-byte big-endian header length, a UTF-8 JSON header, then for each array the header lists an
8-byte length and the bytes of one ``.npy`` file. Values are trees of None, bool, int, float, str, lists,
``{"$tuple": [...]}``, ``{"$dict": {...}}`` and ``{"$nd": i}`` (the i-th array). The reader is strict: size
caps, numeric dtypes only, ``allow_pickle=False``, so whatever a worker sends decodes to plain data.
"""
from __future__ import annotations

import io
import json
import math
import struct
from typing import Any, BinaryIO

import numpy as np

# Caps on what one message may hold, sized from the largest legitimate reply (a training chunk's params and
# velocity, ~0.9 MB; a checked call with its mirrored arguments, a few MB) with a wide margin, so that a worker
# cannot make the grader hold more than MAX_MESSAGE_BYTES per queued reply.
MAX_HEADER_BYTES = 1 << 20
MAX_MESSAGE_BYTES = 32 << 20
MAX_ARRAYS = 256
NUMERIC_KINDS = frozenset("biuf")  # bool, signed and unsigned ints, floats


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed message."""


def encode(value: Any, arrays: list[np.ndarray]) -> Any:
    """Turn a value into a JSON-able tree, appending every ndarray to ``arrays``."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else {"$float": repr(number)}
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        arrays.append(value)
        return {"$nd": len(arrays) - 1}
    if isinstance(value, tuple):
        return {"$tuple": [encode(v, arrays) for v in value]}
    if isinstance(value, list):
        return [encode(v, arrays) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"$dict": {k: encode(v, arrays) for k, v in value.items()}}
    raise TypeError(f"cannot send a value of type {type(value).__name__}: return NumPy arrays, numbers or dicts")


def decode(tree: Any, arrays: list[np.ndarray]) -> Any:
    """Inverse of ``encode`` on a received tree."""
    if isinstance(tree, list):
        return [decode(v, arrays) for v in tree]
    if isinstance(tree, dict):
        if "$nd" in tree:
            index = tree["$nd"]
            if not isinstance(index, int) or not 0 <= index < len(arrays):
                raise ProtocolError(f"array reference {index!r} out of range")
            return arrays[index]
        if "$float" in tree:
            text = tree["$float"]
            if text not in ("nan", "inf", "-inf"):
                raise ProtocolError(f"bad float {text!r}")
            return float(text)
        if "$tuple" in tree:
            return tuple(decode(v, arrays) for v in tree["$tuple"])
        if "$dict" in tree and isinstance(tree["$dict"], dict):
            return {str(k): decode(v, arrays) for k, v in tree["$dict"].items()}
        raise ProtocolError(f"unknown tree node {sorted(tree)[:3]}")
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    raise ProtocolError(f"unexpected JSON value of type {type(tree).__name__}")


def _to_npy(array: np.ndarray) -> bytes:
    plain = np.array(array, copy=True, subok=False)
    if plain.dtype.kind not in NUMERIC_KINDS:
        raise TypeError(f"cannot send an array of dtype {plain.dtype}: use a numeric dtype")
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, plain, allow_pickle=False)
    return buffer.getvalue()


def _from_npy(blob: bytes) -> np.ndarray:
    try:
        array = np.load(io.BytesIO(blob), allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise ProtocolError(f"bad .npy payload: {error}") from None
    if not isinstance(array, np.ndarray) or type(array) is not np.ndarray or array.dtype.kind not in NUMERIC_KINDS:
        raise ProtocolError(f"refused array of dtype {getattr(array, 'dtype', '?')}")
    return array


def write_message(stream: BinaryIO, message: dict) -> None:
    """Send one message (a dict whose values may hold arrays)."""
    stream.write(encode_message(message))
    stream.flush()


def encode_message(message: dict) -> bytes:
    """The bytes of one message on the wire."""
    arrays: list[np.ndarray] = []
    tree = encode(message, arrays)
    blobs = [_to_npy(a) for a in arrays]
    header = json.dumps({"body": tree, "arrays": len(blobs)}).encode()
    parts = [struct.pack(">I", len(header)), header]
    for blob in blobs:
        parts += [struct.pack(">Q", len(blob)), blob]
    return b"".join(parts)


def _read_exact(stream: BinaryIO, n: int) -> bytes:
    chunks, remaining = [], n
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_message(stream: BinaryIO) -> dict:
    """Receive one message; raises EOFError when the pipe closed and ProtocolError when it is malformed."""
    (size,) = struct.unpack(">I", _read_exact(stream, 4))
    if size > MAX_HEADER_BYTES:
        raise ProtocolError(f"header of {size} bytes is too large")
    try:
        header = json.loads(_read_exact(stream, size))
        count = header["arrays"]
    except (ValueError, KeyError, TypeError) as error:
        raise ProtocolError(f"malformed header: {error}") from None
    if not isinstance(count, int) or not 0 <= count <= MAX_ARRAYS:
        raise ProtocolError(f"bad array count {count!r}")
    arrays, total = [], size
    for _ in range(count):
        (length,) = struct.unpack(">Q", _read_exact(stream, 8))
        total += length
        if total > MAX_MESSAGE_BYTES:
            raise ProtocolError(f"message of more than {MAX_MESSAGE_BYTES >> 20} MB is too large")
        arrays.append(_from_npy(_read_exact(stream, length)))
    body = decode(header.get("body"), arrays)
    if not isinstance(body, dict):
        raise ProtocolError("message body is not a dict")
    return body
