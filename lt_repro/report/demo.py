"""Pure functions for the embedded MNIST-LT demo (slug 'demo').

Runs live in ``results/demo/<exp>/seed-<n>/`` with exp names like ``mnist-lt-r10_ce``; the imbalance
ratio and the loss are read from record.json (``imbalance_ratio``, ``loss``), falling back to the
exp name. Per-class accuracy comes from metrics.json ``per_class_acc_pct`` and the training-set
size of each class from record.json ``train_count_per_class``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from .compare import Stat, aggregate, metric_values
from .runs import Run

SLUG = "demo"
TABLE_KEYS = ("top1_err_pct", "mean_class_acc_pct", "many_acc_pct", "medium_acc_pct", "few_acc_pct")
EXP_NAME = re.compile(r"^(?P<dataset>[a-z0-9-]+?)-r(?P<rho>\d+(?:\.\d+)?)_(?P<loss>[a-z0-9-]+)$")
LOSS_ORDER = ("ce", "softmax", "sigmoid", "focal")  # baselines first, the rest alphabetically


class DemoError(ValueError):
    """A demo run whose imbalance ratio or loss cannot be determined."""


@dataclass(frozen=True)
class Cell:
    """All seeds of one (ρ, loss) pair."""

    rho: float
    loss: str
    exp: str
    runs: tuple[Run, ...]
    stats: dict[str, Stat]
    per_class_acc: tuple[float, ...]  # mean over seeds, NaN where no seed has a value
    train_counts: tuple[float, ...]  # mean over seeds (identical under a deterministic protocol)
    thresholds: tuple[int, int] | None  # (many_above, few_below) as written by the metrics
    group_sizes: dict[str, int]  # classes per shot group


def rho_and_loss(exp: str, runs: Sequence[Run]) -> tuple[float, str]:
    record = runs[0].record if runs else {}
    rho, loss = record.get("imbalance_ratio"), record.get("loss")
    m = EXP_NAME.match(exp)
    if rho is None and m:
        rho = float(m.group("rho"))
    if loss is None and m:
        loss = m.group("loss")
    if rho is None or loss is None:
        raise DemoError(f"results/{SLUG}/{exp}: cannot tell the imbalance ratio and loss; record.json has no "
                        "'imbalance_ratio'/'loss' and the name is not like 'mnist-lt-r10_ce'. "
                        "Fix: write record.json, or name the experiment <dataset>-r<rho>_<loss>.")
    return float(rho), str(loss)


def _mean_lists(lists: Sequence[Sequence[float | None]]) -> tuple[float, ...]:
    if not lists:
        return ()
    width = max(len(x) for x in lists)
    out = []
    for c in range(width):
        vals = [float(x[c]) for x in lists if c < len(x) and x[c] is not None and math.isfinite(float(x[c]))]
        out.append(sum(vals) / len(vals) if vals else math.nan)
    return tuple(out)


def _thresholds(runs: Sequence[Run]) -> tuple[int, int] | None:
    found = {(r.metrics.get("shot_many_above"), r.metrics.get("shot_few_below")) for r in runs}
    found.discard((None, None))
    return found.pop() if len(found) == 1 else None


def build_cells(runs_by_exp: Mapping[str, Sequence[Run]]) -> list[Cell]:
    cells = []
    for exp, runs in runs_by_exp.items():
        rho, loss = rho_and_loss(exp, runs)
        stats = {k: aggregate(metric_values(runs, k)[0]) for k in TABLE_KEYS}
        per_class = _mean_lists([r.metrics.get("per_class_acc_pct") or [] for r in runs])
        counts = _mean_lists([r.record.get("train_count_per_class") or [] for r in runs])
        sizes = {g: runs[0].metrics[f"{g}_num_classes"] for g in ("many", "medium", "few")
                 if isinstance(runs[0].metrics.get(f"{g}_num_classes"), int)}
        cells.append(Cell(rho, loss, exp, tuple(runs), stats, per_class, counts, _thresholds(runs), sizes))
    return sorted(cells, key=lambda c: (c.rho, loss_rank(c.loss)))


def loss_rank(loss: str) -> tuple[int, str]:
    return (LOSS_ORDER.index(loss) if loss in LOSS_ORDER else len(LOSS_ORDER), loss)


def grid(cells: Sequence[Cell]) -> tuple[list[float], list[str], dict[tuple[float, str], Cell]]:
    """Sorted ratios, sorted losses, and the cell of each (ρ, loss) pair present."""
    rhos = sorted({c.rho for c in cells})
    losses = sorted({c.loss for c in cells}, key=loss_rank)
    return rhos, losses, {(c.rho, c.loss): c for c in cells}


def headline(cells: Sequence[Cell], key: str = TABLE_KEYS[0]) -> dict | None:
    """The loss table's best and worst rows at the largest imbalance ratio that has two or more losses with
    ``key`` (lowest and highest mean test error); None when no ratio has two."""
    rhos, _, by_pair = grid(cells)
    for rho in reversed(rhos):
        ranked = sorted((c for (r, _), c in by_pair.items() if r == rho and c.stats[key].n),
                        key=lambda c: (c.stats[key].mean, loss_rank(c.loss)))
        if len(ranked) >= 2:
            return {"rho": rho, "key": key, "best": ranked[0], "worst": ranked[-1], "n_losses": len(ranked)}
    return None
