"""Single-label classification metrics for long-tailed benchmarks.

Many/medium/few-shot groups follow Liu et al. 2019 (OLTR, section 4): classes with more than
100 training images, 20 to 100, and fewer than 20. Datasets with other scales pass their own
thresholds; the thresholds used are written into the metrics.
"""
from __future__ import annotations

import numpy as np


def per_class_accuracy(pred: np.ndarray, target: np.ndarray, num_classes: int) -> np.ndarray:
    """Accuracy of each class in [0, 1]; NaN for a class absent from ``target``."""
    pred, target = np.asarray(pred), np.asarray(target)
    total = np.bincount(target, minlength=num_classes)
    correct = np.bincount(target[pred == target], minlength=num_classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, correct / np.maximum(total, 1), np.nan)


def shot_groups(train_counts, many_above: int = 100, few_below: int = 20) -> dict[str, np.ndarray]:
    counts = np.asarray(train_counts)
    return {
        "many": counts > many_above,
        "medium": (counts >= few_below) & (counts <= many_above),
        "few": counts < few_below,
    }


def _pct(x: float) -> float | None:
    return None if np.isnan(x) else round(float(100.0 * x), 6)


def classification_metrics(pred, target, train_counts, many_above: int = 100, few_below: int = 20,
                           top5=None) -> dict:
    """Top-1 error/accuracy, mean per-class accuracy, many/medium/few-shot accuracy and per-class
    accuracy, all in percent. A shot group with no class is ``None``. ``top5``: (N, 5) class
    indices ranked by score (first = ``pred``) adds top-5 error/accuracy (CB's ImageNet and
    iNaturalist tables); left out with fewer than 5 classes."""
    pred, target = np.asarray(pred), np.asarray(target)
    num_classes = len(train_counts)
    acc_c = per_class_accuracy(pred, target, num_classes)
    top1 = float(np.mean(pred == target)) if len(target) else float("nan")
    out = {
        "top1_acc_pct": _pct(top1),
        "top1_err_pct": _pct(1.0 - top1),
    }
    if top5 is not None and num_classes >= 5:
        top5 = np.asarray(top5).reshape(len(target), -1)
        if top5.shape[1] != 5:
            raise ValueError(f"top5 must hold 5 class indices per sample, got shape {top5.shape}")
        hit5 = float(np.mean((top5 == target[:, None]).any(axis=1))) if len(target) else float("nan")
        out["top5_acc_pct"] = _pct(hit5)
        out["top5_err_pct"] = _pct(1.0 - hit5)
    out["mean_class_acc_pct"] = _pct(np.nanmean(acc_c)) if np.any(~np.isnan(acc_c)) else None
    for name, mask in shot_groups(train_counts, many_above, few_below).items():
        vals = acc_c[mask & ~np.isnan(acc_c)]
        out[f"{name}_acc_pct"] = _pct(vals.mean()) if vals.size else None
        out[f"{name}_num_classes"] = int(mask.sum())
    out["shot_many_above"] = many_above
    out["shot_few_below"] = few_below
    out["per_class_acc_pct"] = [_pct(a) for a in acc_c]
    out["num_samples"] = int(len(target))
    return out
