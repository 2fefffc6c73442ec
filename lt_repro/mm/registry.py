"""Register every lt_repro loss in mmdet's MODELS as 'LT' + class name.

The prefix keeps them apart from mmdet's own ``SeesawLoss`` and ``EQLV2Loss``: registering a second
class under an existing name raises ``KeyError``. Configs load them with
``custom_imports = dict(imports=['lt_repro.mm'], allow_failed_imports=False)``.
"""
from __future__ import annotations

from mmdet.registry import MODELS

from lt_repro import losses

PREFIX = "LT"


def registered_losses() -> dict[str, type]:
    return {PREFIX + name: getattr(losses, name) for name in losses.__all__}


def register_losses() -> None:
    for name, cls in registered_losses().items():
        if name not in MODELS.module_dict:
            MODELS.register_module(name=name, module=cls)


register_losses()
