"""Multi-label metrics of the Distribution-Balanced Loss track (Wu et al., ECCV 2020).

Rules followed (official repository
wutong16/DistributionBalancedLoss@14460d0acda6a3e77a8a6a5999b9746243cb1535):

* ``tools/test.py`` (``--eval multiple``, the default; lines 253-279): the scores are the raw
  outputs of the classifier head (``SimpleClassifier.simple_test`` returns ``ClsHead``'s fc logits,
  no sigmoid; ``eval_F1`` / ``eval_acc`` of ``mllt/core/evaluation/eval_tools.py`` threshold them
  at 0). The mAP of each split (``dataset.class_split``: head / middle / tail) is ``eval_map`` on
  the split's columns, and the total mAP is ``eval_map`` on all columns.
* ``mllt/core/evaluation/mean_ap.py`` ``eval_map`` (lines 26-36): ``APs =
  average_precision_score(gt_labels, results, None)`` (sklearn; one AP per class column), ``mAP =
  APs.mean()``. A split's mAP is therefore the plain mean of the per-class APs of its classes.
* ``tools/create_longtail_dataset.py``: ``class_split.pkl`` holds ``dict(head=set, middle=set,
  tail=set)`` of class indices with >= 100, 20..99 and < 20 *training* images
  (:func:`db_class_split`).

AP definition (sklearn's ``average_precision_score``, non-interpolated, no 11-point VOC rule):
``AP = sum_k (R_k - R_{k-1}) * P_k`` over the *distinct* score thresholds in decreasing order,
where ``P_k`` / ``R_k`` are the precision / recall of "score >= threshold k". Tied scores form
one threshold: a tie block counts all its positives and negatives at once (neither the optimistic
nor the pessimistic order within the tie). Equivalently: each positive contributes the precision
at the end of its tie block, divided by the number of positives. Computed here for all classes at
once with one column-wise sort (no Python loop).

Logits or sigmoid probabilities: the official evaluation uses logits. AP depends only on the order
of the scores, so any strictly increasing map gives the same AP -- except where the map creates
ties: in float32 the sigmoid rounds to exactly 1.0 above about 17 (float64: about 37), merging
distinct logits into one tie block, which can lower AP. Pass logits to match the official numbers.

Classes with no positive among the test samples: the official code ran with scikit-learn < 1.1
(2020, Python 3.6/3.7), where such a class's AP is NaN (``recall = tps / tps[-1]`` = 0/0), so the
plain ``APs.mean()`` of the total / its split became NaN; scikit-learn >= 1.1 (PR #19085) instead
sets recall to 1 and returns AP 0. On the official test sets (COCO val2017, VOC2007 test) every
class has positives and the question does not arise. ``no_positive`` picks the rule:
``"exclude"`` (default: the class's AP is ``None`` and the means are over the classes that have
positives), ``"nan"`` (the official sklearn < 1.1 result: any such class makes its means ``None``),
``"zero"`` (sklearn >= 1.1: AP 0, counted in the means).
"""
from __future__ import annotations

import numpy as np

from .classification import _pct

GROUPS = ("head", "medium", "tail")
_ALIASES = {"head": "head", "medium": "medium", "middle": "medium", "tail": "tail"}
NO_POSITIVE_RULES = ("exclude", "nan", "zero")


def _check(scores, labels) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels)
    if scores.ndim != 2 or labels.shape != scores.shape:
        raise ValueError(f"scores and labels must both be (N, C); got {scores.shape} and {labels.shape}")
    if np.isnan(scores).any():
        raise ValueError("scores contain NaN")
    if labels.dtype != bool and not np.isin(labels, (0, 1)).all():
        raise ValueError("labels must be 0/1 multi-hot (sklearn's multilabel-indicator, as in eval_map)")
    return scores, labels.astype(bool)


def average_precision_per_class(scores, labels) -> np.ndarray:
    """sklearn-style AP (fraction in [0, 1]) of each class column; NaN for a class without positives.

    Vectorised over classes: sort every column by decreasing score, mark the last row of each tie
    block, carry the precision at that row back over the block, and average it over the positives."""
    scores, labels = _check(scores, labels)
    n, c = scores.shape
    positives = labels.sum(axis=0)
    if n == 0:
        return np.full(c, np.nan)
    order = np.argsort(-scores, axis=0, kind="stable")
    s = np.take_along_axis(scores, order, axis=0)
    y = np.take_along_axis(labels, order, axis=0)
    precision = np.cumsum(y, axis=0) / np.arange(1, n + 1)[:, None]
    rows = np.broadcast_to(np.arange(n)[:, None], (n, c))
    block_end = np.ones((n, c), dtype=bool)
    block_end[:-1] = s[1:] != s[:-1]
    # row index of the end of each row's tie block: the nearest block end at or below it
    end = np.minimum.accumulate(np.where(block_end, rows, n)[::-1], axis=0)[::-1]
    gain = np.where(y, np.take_along_axis(precision, end, axis=0), 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(positives > 0, gain / np.maximum(positives, 1), np.nan)


def db_class_split(train_counts, head_min: int = 100, tail_below: int = 20) -> dict[str, list[int]]:
    """Head / medium / tail class indices by number of training images, as the official
    ``tools/create_longtail_dataset.py`` writes ``class_split.pkl`` (head >= 100, middle 20..99,
    tail < 20; the official key ``middle`` is called ``medium`` here)."""
    counts = np.asarray(train_counts)
    return {
        "head": np.flatnonzero(counts >= head_min).tolist(),
        "medium": np.flatnonzero((counts < head_min) & (counts >= tail_below)).tolist(),
        "tail": np.flatnonzero(counts < tail_below).tolist(),
    }


def _mean(ap: np.ndarray, rule: str) -> float:
    if ap.size == 0:
        return float("nan")
    if rule == "exclude":
        ap = ap[~np.isnan(ap)]
        return float(ap.mean()) if ap.size else float("nan")
    return float(ap.mean())  # "nan": NaN propagates, as APs.mean() in eval_map; "zero": no NaN left


def multilabel_metrics(scores, labels, class_split=None, no_positive: str = "exclude") -> dict:
    """mAP, head/medium/tail mAP and per-class AP, in percent (``_pct``: round(100 x, 6), ``None``
    for NaN).

    scores: (N, C) classifier outputs (logits, as the official evaluation; see the module
    docstring); labels: (N, C) 0/1. class_split: ``{"head": [...], "medium": [...], "tail": [...]}``
    class indices (lists or sets; the official pickle's ``middle`` is accepted for ``medium``), or
    ``None`` (group means are then ``None``). A group without classes gives ``None``.
    no_positive: ``"exclude"`` / ``"nan"`` / ``"zero"`` for classes without a positive sample."""
    if no_positive not in NO_POSITIVE_RULES:
        raise ValueError(f"no_positive must be one of {NO_POSITIVE_RULES}, got {no_positive!r}")
    ap = average_precision_per_class(scores, labels)
    missing = np.isnan(ap)
    if no_positive == "zero":
        ap = np.where(missing, 0.0, ap)
    num_classes = ap.size
    groups: dict[str, list[int]] = {}
    for key, members in (class_split or {}).items():
        if key not in _ALIASES:
            raise ValueError(f"class_split keys must be head / medium (or middle) / tail, got {key!r}")
        name = _ALIASES[key]
        if name in groups:
            raise ValueError("class_split gives both 'medium' and 'middle'")
        idx = sorted(int(i) for i in members)
        if any(i < 0 or i >= num_classes for i in idx):
            raise ValueError(f"class_split[{key!r}] has a class index outside 0..{num_classes - 1}")
        groups[name] = idx
    out = {"mAP_pct": _pct(_mean(ap, no_positive))}
    for name in GROUPS:
        out[f"{name}_mAP_pct"] = _pct(_mean(ap[groups[name]], no_positive)) if name in groups else None
    out["per_class_AP_pct"] = [_pct(a) for a in ap]
    out["num_classes_without_positive"] = int(missing.sum())
    out["num_samples"] = int(np.asarray(labels).shape[0])
    return out
