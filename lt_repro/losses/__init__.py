"""The five papers' losses and their baselines: pure torch, no mm imports.

Every class follows mmdet's loss contract ``forward(cls_score, label, weight=None,
avg_factor=None, reduction_override=None)``; ``lt_repro.mm`` registers each one in mmdet's
``MODELS`` as ``'LT' + class name``.
"""
from .baselines import CrossEntropyLoss, FocalLoss, SigmoidBCELoss
from .cb import ClassBalancedLoss
from .cdb import CDBLoss
from .cdb_baselines import BatchSwitchedEQLLoss, SoftmaxFocalLoss
from .db import DistributionBalancedLoss
from .eql import EqualizationLoss, SoftmaxEqualizationLoss
from .seesaw import SeesawClassificationLoss, SeesawLoss

__all__ = [
    "CrossEntropyLoss", "SigmoidBCELoss", "FocalLoss",
    "ClassBalancedLoss", "EqualizationLoss", "SoftmaxEqualizationLoss",
    "SeesawLoss", "SeesawClassificationLoss", "DistributionBalancedLoss", "CDBLoss",
    "SoftmaxFocalLoss", "BatchSwitchedEQLLoss",
]
