"""Work-arounds for known breakages of the pinned stack."""
from __future__ import annotations

import codecs
import collections
import contextlib

import numpy as np


def apply() -> None:
    """Applied once on ``import lt_repro.mm``."""
    # lvis 0.5.3 (the only release on PyPI) calls np.float, which numpy 1.24 removed;
    # LVISEval.accumulate then raises AttributeError. np.float was an alias of float.
    if "float" not in np.__dict__:
        np.float = float  # type: ignore[attr-defined]


@contextlib.contextmanager
def own_checkpoint_globals():
    """Let ``torch.load(weights_only=True)`` read checkpoints that this project's runs wrote.

    torch >= 2.6 loads with weights_only=True by default, and mmengine's resume then fails on
    "Unsupported global: mmengine.logging.history_buffer.HistoryBuffer". mmengine's message hub also
    pickles numpy arrays and bound methods (``getattr``). ``getattr`` would let a crafted file run
    code, so these globals are allowed only inside this context, which the runner enters for files
    in its own work dir; downloaded checkpoints load under the plain safe unpickler.
    """
    import torch
    from mmengine.logging.history_buffer import HistoryBuffer

    core = np._core.multiarray
    allowed = [HistoryBuffer, getattr, np.ndarray, np.dtype, core._reconstruct, core.scalar,
               codecs.encode, collections.Counter, collections.OrderedDict]
    allowed += [type(np.dtype(t)) for t in ("float64", "float32", "int64", "int32", "bool")]
    with torch.serialization.safe_globals(allowed):
        yield
