"""Refuse imports of ML frameworks while a student's ``mlp.py`` runs (the assignment is "NumPy only").

``install()`` puts a finder first on ``sys.meta_path`` that raises ImportError for every banned top-level
package and its submodules, and drops banned modules that were already imported, so ``import x``,
``from x import y``, ``__import__("x")`` and ``importlib.import_module("x")`` all fail the same way.

This is a convenience for honest students and a tripwire for lazy cheating, NOT a security boundary: code in
the same process can remove the finder, reach a module through another module's attributes, or load a
shared library by path. Isolation comes from the sandboxed worker (no network, no extra packages, limits);
``static_checks`` reports the same names before anything runs. ``BANNED`` is defined here and only here.
"""
from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType

#: Top-level import names that would do the graded work (autodiff, layers, losses, optimizers) for the student.
BANNED: frozenset[str] = frozenset({
    "torch", "torchvision", "functorch", "lightning", "pytorch_lightning",
    "tensorflow", "tf_keras", "keras",
    "jax", "jaxlib", "flax", "optax", "haiku", "equinox",
    "sklearn", "scipy",
    "autograd", "cupy", "mxnet", "paddle", "theano", "chainer", "tinygrad", "mlx",
})


def top_level(module: str) -> str:
    """``"sklearn.linear_model"`` -> ``"sklearn"``."""
    return module.partition(".")[0]


def is_banned(module: str, banned: frozenset[str] = BANNED) -> bool:
    """True when ``module`` or the package it belongs to is banned."""
    return top_level(module) in banned


def banned_message(module: str) -> str:
    """The one sentence students see, from the static check and from the runtime guard alike."""
    return f"{top_level(module)} is banned in this assignment: implement it with NumPy only"


class BannedImportFinder(MetaPathFinder):
    """A meta path finder that finds nothing and refuses banned names."""

    def __init__(self, banned: frozenset[str]) -> None:
        self.banned = banned

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if is_banned(fullname, self.banned):
            raise ImportError(banned_message(fullname), name=fullname)
        return None  # not ours: let the normal finders look for it


def install(banned: frozenset[str] = BANNED) -> None:
    """Block ``banned`` for the rest of this process (idempotent; a second call replaces the first)."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, BannedImportFinder)]
    sys.meta_path.insert(0, BannedImportFinder(frozenset(banned)))
    for name in [name for name in sys.modules if is_banned(name, banned)]:
        del sys.modules[name]  # otherwise `import x` would be served from the cache without asking the finder
