"""Work-arounds for known breakages of the pinned stack, applied once on import of ``lt_repro.mm``."""
from __future__ import annotations

import numpy as np


def apply() -> None:
    # lvis 0.5.3 (the only release on PyPI) calls np.float, which numpy 1.24 removed;
    # LVISEval.accumulate then raises AttributeError. np.float was an alias of float.
    if "float" not in np.__dict__:
        np.float = float  # type: ignore[attr-defined]

    # torch >= 2.6 loads with weights_only=True by default, and mmengine's resume then fails on
    # "Unsupported global: mmengine.logging.history_buffer.HistoryBuffer". Allow-list exactly the
    # globals our own mmengine checkpoints hold, so that resume works while downloaded files still
    # load under the safe unpickler (never weights_only=False for them).
    import torch
    from mmengine.logging.history_buffer import HistoryBuffer

    safe = [HistoryBuffer, np.dtype, np.ndarray, np.core.multiarray._reconstruct]
    safe += [type(np.dtype(t)) for t in ("float64", "float32", "int64", "int32", "bool")]
    safe += [np.core.multiarray.scalar]
    torch.serialization.add_safe_globals(safe)
