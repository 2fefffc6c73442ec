"""Learning-rate schedules that official code bases produce and mmengine's stock schedulers do not."""
from __future__ import annotations

import warnings

from mmengine.optim.scheduler import CosineAnnealingLR
from mmengine.optim.scheduler.param_scheduler import INF
from mmengine.registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class EpochStartCosineAnnealingLR(CosineAnnealingLR):
    """Cosine annealing as classifier-balancing's training loop runs it: ``scheduler.step()`` at the
    *start* of every epoch (facebookresearch/classifier-balancing ``run_networks.py``, copied in
    hitachi-rd-cv/CDB-loss ``ImageNet-LT/run_networks.py``), so PyTorch ≥ 1.1 skips the first value:
    epoch e = 0 … T_max − 1 trains at η(e + 1) = η_min + (η₀ − η_min)(1 + cos(π (e + 1) / T_max)) / 2,
    and the last epoch at η_min. mmengine steps by-epoch schedulers at the end of each epoch; one extra
    step at construction gives the same sequence, and ``end`` (the Runner sets it to max_epochs) moves
    one step later to make room for it. Starts at step 0 only. Registered in mmengine's root registry,
    so every scope (mmdet, lt_repro) finds it.
    """

    def __init__(self, optimizer, *args, begin: int = 0, end: int = INF, **kwargs):
        if begin != 0:
            raise ValueError(f"EpochStartCosineAnnealingLR starts at step 0, got begin={begin}")
        super().__init__(optimizer, *args, begin=begin, end=end, **kwargs)
        if self.end < INF:
            self.end += 1
        with warnings.catch_warnings():  # the "scheduler.step() before optimizer.step()" warning is the point
            warnings.simplefilter("ignore", UserWarning)
            self.step()
