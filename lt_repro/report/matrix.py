"""The cross-matrix page (reports/matrix.html): every loss on every benchmark of the matrix grids
(configs/matrix/grid-*.yaml), mean ± std (n) of the healthy runs ranked within each benchmark, flagged
runs shown with their reason (lt_repro.report.health), and per-class accuracy against training count.

Benchmarks and losses come from the grid files; runs from results/<slug>/<dataset>_<loss>/seed-<n>/ for
the matrix's slug and for each joined slug (e.g. the DB grid, whose cells are the matrix's multi-label
baselines). The cell metric is top-1 error (%) on single-label benchmarks (lower is better) and mAP (%)
on multi-label ones (higher is better).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from . import health
from .compare import Stat, aggregate, metric_values
from .runs import load_runs

SLUG = "matrix"
MULTI_LABEL_SOURCES = ("coco-mlt", "voc-mlt")
LABELS = {"mnist": "MNIST-LT", "fashion-mnist": "Fashion-MNIST-LT", "cifar10": "CIFAR-10-LT",
          "cifar100": "CIFAR-100-LT",
          "imagenet-lt": "ImageNet-LT", "inat2017": "iNaturalist 2017", "inat2018": "iNaturalist 2018",
          "coco-mlt": "COCO-MLT", "voc-mlt": "VOC-MLT"}


@dataclass(frozen=True)
class Benchmark:
    dataset: str  # the grid's dataset name (the exp prefix)
    source: str
    rho: float | None
    slugs: tuple[str, ...]  # where its runs live
    losses: tuple[str, ...]
    grid: str

    @property
    def multi_label(self) -> bool:
        return self.source in MULTI_LABEL_SOURCES

    @property
    def key(self) -> str:
        return "mAP_pct" if self.multi_label else "top1_err_pct"

    @property
    def higher_is_better(self) -> bool:
        return self.multi_label

    @property
    def label(self) -> str:
        name = LABELS.get(self.source, self.source)
        return f"{name}, ρ = {self.rho:g}" if self.rho else name


@dataclass
class Cell:
    benchmark: Benchmark
    loss: str
    healthy: list = field(default_factory=list)  # Run
    flagged: list = field(default_factory=list)  # (Run, Health)
    stat: Stat | None = None
    rank: int | None = None  # 1 = best within the benchmark, by the mean of the healthy runs

    @property
    def runs(self) -> list:
        return self.healthy + [r for r, _ in self.flagged]


def benchmarks(grids: Sequence[tuple[str, str]]) -> list[Benchmark]:
    """Benchmarks of (slug, grid path) pairs, in file order; a dataset named in several grids (the
    matrix's multi-label grid and the DB grid) is one benchmark with the union of their losses."""
    from lt_repro.grid import load_grid  # pure Python, validated against workflows/schemas

    found: dict[str, Benchmark] = {}
    for slug, path in grids:
        g = load_grid(path)
        for dataset, spec in g.datasets.items():
            losses = tuple(spec.get("losses", g.losses))
            old = found.get(dataset)
            if old is None:
                found[dataset] = Benchmark(dataset, spec["source"], spec.get("rho"), (slug,), losses, str(path))
            else:
                found[dataset] = Benchmark(dataset, old.source, old.rho, tuple(dict.fromkeys(old.slugs + (slug,))),
                                           tuple(dict.fromkeys(old.losses + losses)), old.grid)
    return list(found.values())


def loss_order(benches: Sequence[Benchmark]) -> list[str]:
    return list(dict.fromkeys(loss for b in benches for loss in b.losses))


def build(results_dir: str | Path, benches: Sequence[Benchmark]) -> dict[tuple[str, str], Cell]:
    """(dataset, loss) -> Cell, with health-checked runs, statistics of the healthy runs and ranks."""
    runs_by_slug = {slug: load_runs(results_dir, slug) for slug in {s for b in benches for s in b.slugs}}
    cells = {}
    for b in benches:
        for loss in b.losses:
            cell = Cell(b, loss)
            for slug in b.slugs:
                for run in runs_by_slug[slug].get(f"{b.dataset}_{loss}", []):
                    h = health.check_run(run)
                    (cell.healthy.append(run) if h.ok else cell.flagged.append((run, h)))
            cell.stat = aggregate(metric_values(cell.healthy, b.key)[0])
            cells[(b.dataset, loss)] = cell
        rank_cells([cells[(b.dataset, loss)] for loss in b.losses])
    return cells


def rank_cells(cells: Sequence[Cell]) -> None:
    """Rank within one benchmark by the healthy mean (1 = best); cells without one get no rank."""
    scored = [c for c in cells if c.stat is not None and c.stat.n]
    scored.sort(key=lambda c: -c.stat.mean if c.benchmark.higher_is_better else c.stat.mean)
    for i, c in enumerate(scored, 1):
        c.rank = i
    return None


def shade(rank: int | None, n_ranked: int) -> str:
    """Background of a heat-map cell: green for the best of its benchmark to red for the worst."""
    if rank is None or n_ranked == 0:
        return "#f4f5f7"
    t = 0.0 if n_ranked == 1 else (rank - 1) / (n_ranked - 1)
    good, bad = (198, 234, 206), (247, 200, 206)
    r, g, b = (round(good[i] + (bad[i] - good[i]) * t) for i in range(3))
    return f"#{r:02x}{g:02x}{b:02x}"


def per_class_curves(cells: Mapping[tuple[str, str], Cell], bench: Benchmark,
                     max_points: int = 12) -> dict[str, list[tuple[float, float]]]:
    """Loss -> (training images, test accuracy %) points of a single-label benchmark: per class and mean
    over the healthy runs; with more classes than ``max_points``, classes are pooled into log-spaced bins
    of training count (mean count, mean accuracy)."""
    out = {}
    for loss in bench.losses:
        cell = cells.get((bench.dataset, loss))
        if cell is None or not cell.healthy:
            continue
        counts = cell.healthy[0].record.get("train_count_per_class") or []
        accs = [r.metrics.get("per_class_acc_pct") or [] for r in cell.healthy]
        pts = []
        for c, n in enumerate(counts):
            vals = [a[c] for a in accs if c < len(a) and a[c] is not None]
            if vals and n > 0:
                pts.append((float(n), sum(vals) / len(vals)))
        out[loss] = _binned(sorted(pts), max_points) if len(pts) > max_points else sorted(pts)
    return out


def _binned(pts: list[tuple[float, float]], bins: int) -> list[tuple[float, float]]:
    lo, hi = math.log(pts[0][0]), math.log(pts[-1][0])
    width = (hi - lo) / bins or 1.0
    groups: dict[int, list[tuple[float, float]]] = {}
    for n, a in pts:
        groups.setdefault(min(bins - 1, int((math.log(n) - lo) / width)), []).append((n, a))
    return [(sum(n for n, _ in g) / len(g), sum(a for _, a in g) / len(g)) for _, g in sorted(groups.items())]


def per_class_plot(curves_by_bench: Sequence[tuple[Benchmark, dict]], path: str | Path) -> Path:
    """One panel per single-label benchmark: test accuracy of a class against its training images (log x),
    one line per loss (mean over healthy seeds; many classes pooled into bins). Written atomically as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ._io import atomic_open

    panels = [(b, c) for b, c in curves_by_bench if c]
    if not panels:
        raise ValueError("per_class_plot: no single-label benchmark with healthy runs")
    losses = list(dict.fromkeys(loss for _, c in panels for loss in c))
    colors = {loss: plt.get_cmap("tab10")(i % 10) for i, loss in enumerate(losses)}
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.6 * rows + 0.5), sharey=True, squeeze=False)
    for ax, (b, curves) in zip(axes.flat, panels):
        for loss, pts in curves.items():
            xs, ys = zip(*pts)
            ax.plot(xs, ys, marker="o", markersize=3, linewidth=1.3, color=colors[loss], label=loss,
                    linestyle="--" if "cdb" in loss else "-")
        ax.set_xscale("log")
        ax.set_title(b.label, fontsize=9)
        ax.set_xlabel("training images of the class (log scale)", fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("test accuracy of the class (%)", fontsize=8)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(9, len(labels)), fontsize=8, frameon=False)
    fig.suptitle("Per-class test accuracy against training-set size (mean over healthy seeds)", fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    path = Path(path)
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=100)
    plt.close(fig)
    return path


MATRIX_PLOT = "img/{name}_per_class_acc.png"
WEIGHTS_PLOT = "img/{name}_cdb_weights.png"


def context(results_dir: str | Path, grids: Sequence[tuple[str, str]], out_path: str | Path,
            draw: bool = True) -> dict:
    """What templates/matrix.html draws; images are written next to the page under img/."""
    from . import cdb_weights
    from .html import fmt_stat, rel_link

    out_path = Path(out_path)
    out_dir, name = out_path.parent, out_path.stem
    benches = benchmarks(grids)
    cells = build(results_dir, benches)
    losses = loss_order(benches)

    def links(runs):
        return [{"label": f"seed {r.seed}", "href": rel_link(r.metrics_path, out_dir)} for r in runs]

    rows = []
    for loss in losses:
        row = []
        for b in benches:
            cell = cells.get((b.dataset, loss))
            if cell is None:
                row.append(None)
                continue
            n_ranked = sum(1 for x in b.losses if cells[(b.dataset, x)].rank)
            row.append({"text": fmt_stat(cell.stat) if cell.stat.n else ("flagged" if cell.flagged else "not run"),
                        "rank": cell.rank, "n_ranked": n_ranked, "bg": shade(cell.rank, n_ranked),
                        "links": links(cell.healthy),
                        "flagged": [{"seed": r.seed, "reasons": ", ".join(h.reasons),
                                     "href": rel_link(r.metrics_path, out_dir)} for r, h in cell.flagged]})
        rows.append({"loss": loss, "cells": row})
    flagged = [{"where": f"{c.benchmark.label} · {c.loss}", "seed": r.seed, "reasons": ", ".join(h.reasons),
                "detail": h.summary(), "href": rel_link(r.metrics_path, out_dir)}
               for c in cells.values() for r, h in c.flagged]
    single = [b for b in benches if not b.multi_label]
    curves = [(b, per_class_curves(cells, b)) for b in single]
    plot = None
    if draw and any(c for _, c in curves):
        plot = MATRIX_PLOT.format(name=name)
        per_class_plot(curves, out_dir / plot)
    trajs = cdb_weights.trajectories([r for c in cells.values() for r in c.runs])
    weights_plot = None
    if draw and trajs:
        weights_plot = WEIGHTS_PLOT.format(name=name)
        cdb_weights.weights_plot(trajs, out_dir / weights_plot, "CDB class weights per epoch (matrix runs)")
    n_runs = sum(len(c.runs) for c in cells.values())
    return {"benches": [{"label": b.label, "metric": "mAP (%) ↑" if b.multi_label else "top-1 error (%) ↓",
                         "slugs": ", ".join(b.slugs), "multi_label": b.multi_label, "grid": b.grid,
                         "n_losses": len(b.losses)} for b in benches],
            "rows": rows, "flagged_view": flagged, "plot": plot,
            "cdb": {"findings": cdb_weights.findings(trajs), "plot": weights_plot, "n_runs": len(trajs),
                    "sentences": cdb_weights.sentences(cdb_weights.findings(trajs)),
                    "source": ", ".join(b.label for b in single if any("cdb" in x for x in b.losses)),
                    "scope": "the matrix's CDB runs"},
            "n_runs": n_runs,
            "n_healthy": sum(len(c.healthy) for c in cells.values()),
            "grids": [{"slug": s, "path": str(p), "href": rel_link(Path(p), out_dir)} for s, p in grids],
            "results": str(results_dir)}


def render(results_dir: str | Path, grids: Sequence[tuple[str, str]], out_path: str | Path) -> Path:
    """Write the matrix page (and its images) atomically; returns its path."""
    from ._io import atomic_write_text
    from .html import _env

    ctx = context(results_dir, grids, out_path)
    return atomic_write_text(Path(out_path), _env().get_template("matrix.html").render(**ctx))
