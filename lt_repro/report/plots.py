"""Figures for the report, drawn with matplotlib's Agg backend (no display needed)."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend must be chosen first)
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

from ._io import atomic_open  # noqa: E402
from .demo import Cell, grid  # noqa: E402


def format_rho(rho: float) -> str:
    return f"{rho:g}"


def per_class_accuracy_plot(cells: Sequence[Cell], path: str | Path) -> Path:
    """Per-class test accuracy (mean over seeds) against the class's training-set size, log x axis;
    one line per loss, one panel per imbalance ratio ρ. Written atomically as PNG."""
    rhos, losses, by_pair = grid(cells)
    if not rhos:
        raise ValueError("per_class_accuracy_plot: no demo runs to plot")
    colors = {loss: plt.get_cmap("tab10")(i % 10) for i, loss in enumerate(losses)}
    fig, axes = plt.subplots(1, len(rhos), figsize=(4.2 * len(rhos) + 0.6, 3.8), sharey=True, squeeze=False)
    for ax, rho in zip(axes[0], rhos):
        for loss in losses:
            cell = by_pair.get((rho, loss))
            if cell is None:
                continue
            pts = sorted((n, a) for n, a in zip(cell.train_counts, cell.per_class_acc)
                         if not (math.isnan(n) or math.isnan(a)) and n > 0)
            if not pts:
                continue
            xs, ys = zip(*pts)
            ax.plot(xs, ys, marker="o", markersize=4, linewidth=1.5, color=colors[loss],
                    label=f"{loss} (n={len(cell.runs)})")
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(f"ρ = {format_rho(rho)}")
        ax.set_xlabel("training images of the class (log scale)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    axes[0][0].set_ylabel("test accuracy of the class (%)")
    fig.suptitle("MNIST-LT: per-class test accuracy vs training-set size (mean over seeds)", fontsize=11)
    fig.tight_layout()
    path = Path(path)
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=110)
    plt.close(fig)
    return path


def scatter_plot(pts, path: str | Path, title: str) -> Path:
    """Our mean against the published value, one point per compared cell (scatter.points), coloured by
    table; the y = x line and the band y = x ± tolerance of the cells. Written atomically as PNG."""
    from . import scatter

    lo, hi = scatter.limits(pts)
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    for i, tol in enumerate(scatter.tolerances(pts)):
        ax.fill_between([lo, hi], [lo - tol, hi - tol], [lo + tol, hi + tol], color="#9aa5b8",
                        alpha=0.25 if i == 0 else 0.12, linewidth=0, label=f"tolerance ± {tol:g}")
    ax.plot([lo, hi], [lo, hi], color="#1d2330", linewidth=1, label="y = x (ours = published)")
    for i, table in enumerate(scatter.tables(pts)):
        mine = [p for p in pts if p.table == table]
        ax.errorbar([p.published for p in mine], [p.ours for p in mine],
                    yerr=[p.std or 0.0 for p in mine], fmt="o", markersize=5, capsize=2,
                    color=plt.get_cmap("tab10")(i % 10), label=f"{table} ({len(mine)})")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.set_xlabel("published value")
    ax.set_ylabel("ours (mean over seeds; bar: ± sample std)")
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    path = Path(path)
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=110)
    plt.close(fig)
    return path
