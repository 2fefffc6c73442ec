"""Per-class precision and recall of top-1 predictions, averaged over classes: the "average precision" and
"average recall" of the CDB paper's EGTEA results, as hitachi-rd-cv/CDB-loss ``EGTEA/EGTEA_test.py``
computes them (not ranking AP):

    recall_c    = correct_c / count_c                  (count_c: test clips of class c)
    precision_c = correct_c / predicted_c, and 0 for a class never predicted
    AR = mean_c recall_c,   AP = mean_c precision_c

and over the majority classes (more than ``majority_above`` = 600 training clips) and the minority classes
(fewer than 600; ``count > 600`` / ``count < 600`` in EGTEA_test.py). Beside them, the standard top-1 and
mean-class accuracy of :func:`lt_repro.metrics.classification.classification_metrics` (mean-class accuracy
is AR). A class with no test sample has no recall (EGTEA_test.py divides by zero there; every verb is in the
official val and test lists): it is left out of AR and mean-class accuracy, but counts in AP.
"""
from __future__ import annotations

import numpy as np

from .classification import _pct, classification_metrics


def class_precision_recall(pred, target, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-class precision (0 where never predicted) and recall (NaN where absent), in [0, 1]."""
    pred, target = np.asarray(pred), np.asarray(target)
    count = np.bincount(target, minlength=num_classes)
    predicted = np.bincount(pred, minlength=num_classes)
    correct = np.bincount(target[pred == target], minlength=num_classes)
    precision = np.where(predicted > 0, correct / np.maximum(predicted, 1), 0.0)
    recall = np.where(count > 0, correct / np.maximum(count, 1), np.nan)
    return precision, recall


def _mean(x: np.ndarray) -> float | None:
    x = x[~np.isnan(x)]
    return _pct(x.mean()) if x.size else None


def precision_recall_metrics(pred, target, train_counts, majority_above: int = 600) -> dict:
    """AP/AR as EGTEA_test.py (module docstring), majority/minority AP/AR, top-1 and mean-class accuracy,
    per-class precision and accuracy; percent."""
    counts = np.asarray(train_counts)
    precision, recall = class_precision_recall(pred, target, len(counts))
    out = {k: v for k, v in classification_metrics(pred, target, train_counts).items()
           if k in ("top1_acc_pct", "top1_err_pct", "mean_class_acc_pct", "per_class_acc_pct", "num_samples")}
    out["mean_class_precision_pct"] = _pct(precision.mean())
    out["mean_class_recall_pct"] = _mean(recall)
    for name, mask in (("majority", counts > majority_above), ("minority", counts < majority_above)):
        out[f"{name}_precision_pct"] = _pct(precision[mask].mean()) if mask.any() else None
        out[f"{name}_recall_pct"] = _mean(recall[mask])
        out[f"{name}_num_classes"] = int(mask.sum())
    out["majority_above"] = majority_above
    out["per_class_precision_pct"] = [_pct(p) for p in precision]
    return out
