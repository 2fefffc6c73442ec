"""lt_repro's registries (scope ``lt_repro``), and every component registered in mmdet's too.

Classification configs say ``default_scope = 'lt_repro'``: building from mmdet's scope would import
``mmdet.models``, which needs mmcv's compiled ops, and the classification tracks never call them.
Detection configs keep ``default_scope = 'mmdet'``. Each project component is therefore registered in
both trees (:func:`register`), and every loss is in mmdet's ``MODELS`` as 'LT' + class name.

The prefix keeps the losses apart from mmdet's own ``SeesawLoss`` and ``EQLV2Loss``: registering a
second class under an existing name raises ``KeyError``. Configs load them with
``custom_imports = dict(imports=['lt_repro.mm'], allow_failed_imports=False)``.
"""
from __future__ import annotations

import mmdet.registry as mmdet_registry
import mmengine.registry as root
from mmengine.registry import Registry

from lt_repro import losses

SCOPE = "lt_repro"
PREFIX = "LT"


def _child(name: str) -> Registry:
    parent = getattr(root, name)
    return Registry(parent.name, parent=parent, scope=SCOPE, locations=["lt_repro.mm"])


# Children of every mmengine root registry, so that the Runner finds each kind under this scope.
RUNNERS, RUNNER_CONSTRUCTORS, LOOPS, HOOKS, STRATEGIES = map(
    _child, ["RUNNERS", "RUNNER_CONSTRUCTORS", "LOOPS", "HOOKS", "STRATEGIES"])
DATASETS, DATA_SAMPLERS, TRANSFORMS, MODELS, MODEL_WRAPPERS, WEIGHT_INITIALIZERS = map(
    _child, ["DATASETS", "DATA_SAMPLERS", "TRANSFORMS", "MODELS", "MODEL_WRAPPERS", "WEIGHT_INITIALIZERS"])
OPTIMIZERS, OPTIM_WRAPPERS, OPTIM_WRAPPER_CONSTRUCTORS, PARAM_SCHEDULERS = map(
    _child, ["OPTIMIZERS", "OPTIM_WRAPPERS", "OPTIM_WRAPPER_CONSTRUCTORS", "PARAM_SCHEDULERS"])
METRICS, EVALUATOR, TASK_UTILS, VISUALIZERS, VISBACKENDS, LOG_PROCESSORS, INFERENCERS, FUNCTIONS = map(
    _child, ["METRICS", "EVALUATOR", "TASK_UTILS", "VISUALIZERS", "VISBACKENDS", "LOG_PROCESSORS",
             "INFERENCERS", "FUNCTIONS"])


def register(kind: str, name: str | None = None):
    """Class decorator: register in lt_repro's and mmdet's registry ``kind`` (e.g. 'HOOKS')."""
    def add(cls):
        for tree in (globals()[kind], getattr(mmdet_registry, kind)):
            if (name or cls.__name__) not in tree.module_dict:
                tree.register_module(name=name, module=cls)
        return cls
    return add


def registered_losses() -> dict[str, type]:
    return {PREFIX + name: getattr(losses, name) for name in losses.__all__}


def register_losses() -> None:
    for name, cls in registered_losses().items():
        register("MODELS", name)(cls)


register_losses()
