"""CDB's per-epoch class weights, read from record.json ``history`` (CDBDifficultyHook), and what our
measured runs show about the official weights d^τ: a class with perfect validation accuracy gets weight 0
for the next epoch. Pure functions, and one figure (matplotlib imported only to draw).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from . import health


@dataclass(frozen=True)
class Trajectory:
    """The class weights one CDB run trained with, epoch by epoch."""
    slug: str
    exp: str
    seed: int
    floor: float  # LTCDBLoss difficulty_floor: 0 = official, > 0 = our guarded variant
    epochs: tuple[int, ...]  # training epoch that used the weights (validation of the epoch before)
    weights: tuple[tuple[float, ...], ...]  # per epoch, per class
    zero: dict  # class -> training epochs with weight 0
    forgotten: tuple[tuple[int, int], ...]  # (class, epoch): trained at weight 0, then 0% on validation
    health: health.Health
    metrics_path: Path
    label: str = ""  # the exp, or slug/exp when the runs come from several slugs


def _floor(record: Mapping) -> float | None:
    """difficulty_floor of a CDB run's loss; None for a run of another loss."""
    loss = ((record.get("config") or {}).get("model") or {}).get("loss") or {}
    if "CDB" not in str(loss.get("type", "")):
        return None
    return float(loss.get("difficulty_floor") or 0.0)


def trajectories(runs: Sequence) -> list[Trajectory]:
    """One Trajectory per run (lt_repro.report.runs.Run) of a CDB loss with recorded weights."""
    several = len({r.slug for r in runs}) > 1
    out = []
    for r in runs:
        floor = _floor(r.record)
        history = health.used_weights(r.record.get("history") or [])
        if floor is None or not history:
            continue
        out.append(Trajectory(
            slug=r.slug, exp=r.exp, seed=r.seed, floor=floor,
            epochs=tuple(int(h["epoch"]) + 1 for h in history),
            weights=tuple(tuple(float(w) for w in h["cdb_weight"]) for h in history),
            zero=health.zero_weight_epochs(history), forgotten=tuple(health.forgotten_while_unweighted(
                r.record.get("history") or [])),
            health=health.check_run(r), metrics_path=r.metrics_path,
            label=f"{r.slug}/{r.exp}" if several else r.exp))
    return sorted(out, key=lambda t: (t.slug, t.exp, t.seed))


def findings(trajs: Sequence[Trajectory]) -> dict:
    """Counts for the pages' explanation, separately for the official weights and the guarded variant."""
    def part(ts):
        with_zero = [t for t in ts if t.zero]
        zero_epochs = sum(len(e) for t in ts for e in t.zero.values())
        class_epochs = sum(len(t.epochs) * len(t.weights[0]) for t in ts if t.weights)
        return {"runs": len(ts), "with_zero": len(with_zero), "zero_class_epochs": zero_epochs,
                "class_epochs": class_epochs,
                "forgotten": [(t.label, t.seed, c, e) for t in ts for c, e in t.forgotten],
                "flagged": [(t.label, t.seed, t.health.summary()) for t in ts if not t.health.ok]}

    return {"official": part([t for t in trajs if t.floor == 0.0]),
            "guarded": part([t for t in trajs if t.floor > 0.0]),
            "floors": sorted({t.floor for t in trajs if t.floor > 0.0})}


def sentences(f: dict) -> list[str]:
    """The measured findings (:func:`findings`) in words, one sentence each."""
    o, g = f["official"], f["guarded"]
    out = [f"Official weights: in {o['with_zero']} of {o['runs']} CDB run(s) at least one class trained an epoch with "
           f"weight 0 ({o['zero_class_epochs']} of {o['class_epochs']} class-epochs)."]
    if o["forgotten"]:
        where = "; ".join(f"{exp} seed {seed}, class {c} in epoch {e}" for exp, seed, c, e in o["forgotten"])
        out.append(f"A class trained at weight 0 and then scored 0% on validation {len(o['forgotten'])} time(s): "
                   f"{where}.")
    elif o["runs"]:
        out.append("No class trained at weight 0 scored 0% on validation after it.")
    if o["flagged"]:
        flagged = "; ".join(f"{exp} seed {seed} ({why})" for exp, seed, why in o["flagged"])
        out.append(f"Flagged official runs: {flagged}.")
    elif o["runs"]:
        out.append("No official CDB run was flagged by the health check.")
    if g["runs"]:
        floors = ", ".join(f"{x:g}" for x in f["floors"])
        out.append(f"Guarded variant (ours, w = max(d, f)^τ with f = {floors}): {g['runs']} run(s), "
                   f"{g['zero_class_epochs']} class-epochs at weight 0, {len(g['flagged'])} flagged.")
    return out


def weights_plot(trajs: Sequence[Trajectory], path: str | Path, title: str) -> Path:
    """Small multiples: one panel per run, the weight of each class (one line per class) against the
    training epoch that used it; a weight of 0 is marked with a red x. Written atomically as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ._io import atomic_open

    if not trajs:
        raise ValueError("weights_plot: no CDB runs with recorded weights")
    cols = min(4, len(trajs))
    rows = -(-len(trajs) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.3 * cols + 0.4, 2.6 * rows + 0.8), sharey=True, squeeze=False)
    top = max(max(max(w) for w in t.weights) for t in trajs)
    for ax, t in zip(axes.flat, trajs):
        n_classes = len(t.weights[0])
        for c in range(n_classes):
            ys = [w[c] for w in t.weights]
            ax.plot(t.epochs, ys, marker="o", markersize=2.5, linewidth=1.0,
                    color=plt.get_cmap("tab10" if n_classes <= 10 else "viridis")(c / max(1, n_classes - 1)
                                                                                  if n_classes > 10 else c),
                    label=f"class {c}" if n_classes <= 10 else None)
            zeros = [(e, y) for e, y in zip(t.epochs, ys) if y <= health.ZERO]
            if zeros:
                ax.plot(*zip(*zeros), linestyle="none", marker="x", markersize=7, color="#c0392b")
        variant = "official" if t.floor == 0 else f"guarded, floor {t.floor:g}"
        flag = "" if t.health.ok else " – flagged: " + ", ".join(t.health.reasons)
        ax.set_title(f"{t.label}\nseed {t.seed} ({variant}){flag}", fontsize=7.5,
                     color="#c0392b" if flag else "black")
        ax.set_ylim(-0.05 * top, top * 1.05)
        ax.grid(True, alpha=0.3)
        ax.set_xlabel("training epoch", fontsize=8)
    for ax in axes.flat[len(trajs):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("class weight", fontsize=8)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if labels:
        fig.legend(handles, labels, loc="lower center", ncol=min(10, len(labels)), fontsize=7, frameon=False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.06 if labels else 0, 1, 1))
    path = Path(path)
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=100)
    plt.close(fig)
    return path
