"""Run health: flag a run that went non-finite, collapsed or diverged, with its reason. Pure functions.

A flagged run is never averaged with the healthy ones: the pages show it with its reason, and
mean ± std (n) of the healthy runs. What is checked, from metrics.json and record.json ``history``
(lt_repro.train):

- **non-finite**: the loss became NaN/inf (metrics.json ``run_status: non-finite``, written when the
  grid sets ``record_nonfinite``), or a reported metric is not finite.
- **collapsed**: the final model is no better than predicting one class for every image: its mean
  per-class test accuracy is at most ``COLLAPSE_FACTOR`` × 100/C (100/C is what a constant prediction,
  e.g. the majority class, scores).
- **zero-weight class**: a class ends with test accuracy 0 while its CDB weight was 0 during the last
  training epoch (the official CDB weight d^τ is 0 after a perfect validation score; the class then
  gets no gradient of its own).
- **diverged**: the final model's mean per-class test accuracy is more than ``DIVERGE_DROP`` points below
  that of the checkpoint that was best on validation (``best_val/``): training went far past its best.

The thresholds are our choice.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

COLLAPSE_FACTOR = 1.5  # mean-class accuracy <= 1.5 x chance (100/C)
DIVERGE_DROP = 20.0  # percentage points of mean-class test accuracy below the best-validation checkpoint
ZERO = 1e-12  # a weight at or below this is 0
REASONS = ("non-finite", "collapsed", "zero-weight class", "diverged")
_CHECKED_KEYS = ("top1_err_pct", "top1_acc_pct", "mean_class_acc_pct")


@dataclass(frozen=True)
class Flag:
    reason: str  # one of REASONS
    detail: str  # one sentence with the numbers


@dataclass(frozen=True)
class Health:
    flags: tuple[Flag, ...]

    @property
    def ok(self) -> bool:
        return not self.flags

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(f.reason for f in self.flags)

    def summary(self) -> str:
        return "; ".join(f"{f.reason}: {f.detail}" for f in self.flags)


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _num_classes(metrics: Mapping, record: Mapping) -> int | None:
    per_class = metrics.get("per_class_acc_pct") or record.get("train_count_per_class")
    return len(per_class) if per_class else None


def used_weights(history: Sequence[Mapping]) -> list[Mapping]:
    """History entries whose CDB weights trained an epoch: those recorded after the validation of epoch e
    are the ones epoch e + 1 trains with, so the last validation's weights train nothing."""
    trained = {int(h["epoch"]) for h in history if "train_loss" in h}
    return [h for h in history if h.get("cdb_weight") and int(h["epoch"]) + 1 in trained]


def zero_weight_epochs(history: Sequence[Mapping]) -> dict[int, list[int]]:
    """Class -> the training epochs in which its CDB weight was 0 (see :func:`used_weights`)."""
    out: dict[int, list[int]] = {}
    for h in used_weights(history):
        for c, w in enumerate(h.get("cdb_weight") or ()):
            if w is not None and w <= ZERO:
                out.setdefault(c, []).append(int(h["epoch"]) + 1)
    return out


def forgotten_while_unweighted(history: Sequence[Mapping]) -> list[tuple[int, int]]:
    """(class, epoch) pairs where a class trained with CDB weight 0 in that epoch and then scored 0 on
    validation after it: the class was forgotten while it had no weight."""
    by_epoch = {int(h["epoch"]): h for h in history}
    found = []
    for c, epochs in sorted(zero_weight_epochs(history).items()):
        for e in epochs:
            acc = (by_epoch.get(e) or {}).get("val_per_class_acc_pct")
            if acc and c < len(acc) and acc[c] is not None and acc[c] <= 0.0:
                found.append((c, e))
    return found


def check(metrics: Mapping, record: Mapping | None = None) -> Health:
    """The flags of one run (none: healthy)."""
    record = record or {}
    flags: list[Flag] = []
    history = record.get("history") or []
    if metrics.get("run_status") == "non-finite":
        where = f"epoch {metrics.get('nonfinite_epoch')}, iteration {metrics.get('nonfinite_iter')}"
        flags.append(Flag("non-finite", f"the loss became {metrics.get('nonfinite_loss') or 'non-finite'} at {where}; "
                                        "the run stopped there"))
        return Health(tuple(flags))
    bad = [k for k in _CHECKED_KEYS if k in metrics and metrics[k] is not None and not _finite(metrics[k])]
    if bad:
        flags.append(Flag("non-finite", f"metrics {', '.join(bad)} are not finite"))
    num_classes = _num_classes(metrics, record)
    mean_class = metrics.get("mean_class_acc_pct")
    if num_classes and _finite(mean_class):
        chance = 100.0 / num_classes
        if mean_class <= COLLAPSE_FACTOR * chance:
            per_class = metrics.get("per_class_acc_pct") or []
            alive = [c for c, a in enumerate(per_class) if a]
            flags.append(Flag("collapsed", f"mean per-class test accuracy {mean_class:.2f}% against {chance:.2f}% for "
                                           f"predicting one class; classes with any correct test image: {alive}"))
    per_class = metrics.get("per_class_acc_pct") or []
    if history and per_class:
        by_epoch = {int(h["epoch"]): h for h in history}
        last_weights = (by_epoch.get(max(by_epoch) - 1) or {}).get("cdb_weight")  # set before the last epoch
        if last_weights:
            dead = [c for c, (a, w) in enumerate(zip(per_class, last_weights))
                    if a is not None and a <= 0.0 and w is not None and w <= ZERO]
            if dead:
                flags.append(Flag("zero-weight class", f"class(es) {dead}: test accuracy 0% after training the last "
                                                       f"epoch with CDB weight 0"))
    best = metrics.get("best_val/mean_class_acc_pct")
    if _finite(best) and _finite(mean_class) and best - mean_class > DIVERGE_DROP:
        flags.append(Flag("diverged", f"mean per-class test accuracy {mean_class:.2f}% at the end, "
                                      f"{best:.2f}% at the best validation checkpoint"))
    return Health(tuple(flags))


def check_run(run) -> Health:
    """:func:`check` of a lt_repro.report.runs.Run."""
    return check(run.metrics, run.record)


def partition(runs: Iterable) -> tuple[list, list[tuple[object, Health]]]:
    """Healthy runs, and (run, health) of the flagged ones, in the given order."""
    healthy, flagged = [], []
    for run in runs:
        h = check_run(run)
        (healthy.append(run) if h.ok else flagged.append((run, h)))
    return healthy, flagged


def partition_by_exp(runs_by_exp: Mapping[str, Sequence]) -> tuple[dict[str, list], dict[str, list]]:
    """runs_by_exp split into healthy runs (experiments left with none are dropped) and flagged ones."""
    healthy, flagged = {}, {}
    for exp, runs in runs_by_exp.items():
        ok, bad = partition(runs)
        if ok:
            healthy[exp] = ok
        if bad:
            flagged[exp] = bad
    return healthy, flagged
