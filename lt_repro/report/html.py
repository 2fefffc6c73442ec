"""HTML report: ``index.html``, one page per paper and ``demo.html``, rendered from jinja2 templates
(lt_repro/report/templates/). Numbers come only from configs/published/*.yaml and results/; the
templates hold no numbers. Every file is written atomically; images go to ``<out>/img/``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import jinja2

from . import claims as claims_mod
from . import demo as demo_mod
from . import cdb_weights, fidelity, health, layouts, scatter
from ._io import atomic_write_text
from .compare import (VERDICTS, Row, Stat, aggregate, compare, metric_values, summarize, to_long_tsv,
                      unmatched_exps)
from .published import Entry, load_slug
from .runs import Run, load_runs, newest, provenance
from .sources import Source

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Paper:
    slug: str
    title: str
    citation: str
    code: str  # official code repository


PAPERS = (
    Paper("cb", "Class-Balanced Loss Based on Effective Number of Samples", "Cui et al., CVPR 2019",
          "https://github.com/richardaecn/class-balanced-loss"),
    Paper("eql", "Equalization Loss for Long-Tailed Object Recognition", "Tan et al., CVPR 2020",
          "https://github.com/tztztztztz/eql.detectron2"),
    Paper("seesaw", "Seesaw Loss for Long-Tailed Instance Segmentation", "Wang et al., CVPR 2021",
          "https://github.com/open-mmlab/mmdetection/tree/main/configs/seesaw_loss"),
    Paper("db", "Distribution-Balanced Loss for Multi-Label Classification in Long-Tailed Datasets",
          "Wu et al., ECCV 2020", "https://github.com/wutong16/DistributionBalancedLoss"),
    Paper("cdb", "Class-Wise Difficulty-Balanced Loss for Solving Class-Imbalance", "Sinha et al., ACCV 2020",
          "https://github.com/hitachi-rd-cv/CDB-loss"),
)
SLUGS = tuple(p.slug for p in PAPERS)
HEADLINE_KEYS = ("top1_err_pct", "top1_acc_pct", "top5_err_pct", "mean_class_acc_pct", "many_acc_pct",
                 "medium_acc_pct", "few_acc_pct", "segm_AP_pct", "segm_APr_pct", "segm_APc_pct", "segm_APf_pct",
                 "bbox_AP_pct", "mAP_pct", "head_mAP_pct", "medium_mAP_pct", "tail_mAP_pct")
DEMO_PLOT = "img/demo_per_class_acc.png"
CDB_WEIGHTS_PLOT = "img/{slug}_cdb_weights.png"
CDB_SLUGS = ("cdb", "demo", "matrix")  # where the CDB page finds measured CDB runs
SCATTER = "img/{slug}_vs_published.png"
LONG_TSV = "data/{slug}.tsv"


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=jinja2.select_autoescape(["html"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["stat"] = fmt_stat
    env.filters["num"] = fmt_num
    return env


def fmt_num(x: float | None, digits: int = 2, signed: bool = False) -> str:
    if x is None:
        return "–"
    return f"{x:+.{digits}f}" if signed else f"{x:.{digits}f}"


def fmt_stat(stat: Stat, digits: int = 2) -> str:
    """'41.53 ± 0.42 (n=3)'; without ± for a single seed; 'not run' for none."""
    if stat.n == 0 or stat.mean is None:
        return "not run"
    if stat.std is None:
        return f"{stat.mean:.{digits}f} (n={stat.n})"
    return f"{stat.mean:.{digits}f} ± {stat.std:.{digits}f} (n={stat.n})"


def rel_link(target: Path, out_dir: Path) -> str:
    """URL of ``target`` relative to the folder holding the page."""
    rel = os.path.relpath(Path(target).resolve(), Path(out_dir).resolve())
    return quote(Path(rel).as_posix())


def _run_links(runs, out_dir: Path) -> list[dict]:
    return [{"label": f"seed {r.seed}", "href": rel_link(r.metrics_path, out_dir)} for r in runs]


def _thresholds(runs_by_exp: dict[str, list[Run]]) -> list[dict]:
    """Distinct many/medium/few thresholds written by the metrics of these runs."""
    seen: dict[tuple, list[str]] = {}
    for exp, runs in runs_by_exp.items():
        for r in runs:
            t = (r.metrics.get("shot_many_above"), r.metrics.get("shot_few_below"))
            if t[0] is not None and t[1] is not None:
                seen.setdefault(t, [])
                if exp not in seen[t]:
                    seen[t].append(exp)
    return [{"many_above": k[0], "few_below": k[1], "exps": v} for k, v in sorted(seen.items())]


def _row_view(row: Row, out_dir: Path, footnote: int) -> dict:
    e: Entry = row.entry
    digits = max(1, min(3, e.decimals))
    return {
        "entry": e, "footnote": footnote, "ours": fmt_stat(row.stat, digits),
        "links": _run_links(row.runs, out_dir), "missing_key": _run_links(row.runs_without_key, out_dir),
        "delta": fmt_num(row.delta, digits + 1, signed=True) if row.delta is not None else "",
        "verdict": row.verdict, "verdict_class": row.verdict.replace(" ", "-"),
        "better": row.better,
    }


def fidelity_context(table: fidelity.Table | None, path: Path, out_dir: Path,
                     repo: Path = fidelity.REPO) -> dict:
    """The 'Deviations from the official code' section: counts and every row that is not 'same', with
    ours_at linked to the repository file and official_at to the official line (GitHub) or the paper."""
    def ours_links(text: str) -> list[dict]:
        return [{"text": part.strip(), "href": rel_link(repo / part.strip().split(":")[0], out_dir)}
                for part in text.split(";")]

    rows = [{"id": r.id, "stage": r.stage, "applies": r.applies, "item": r.item, "ours": r.ours,
             "ours_at": ours_links(r.ours_at), "official": r.official,
             "official_at": [{"text": p.text, "href": p.url} for p in r.places],
             "verdict": r.verdict, "why": r.why} for r in (table.deviations if table else ())]
    return {"counts": table.counts if table else None, "rows": rows, "name": Path(path).as_posix(),
            "href": rel_link(path, out_dir) if table else None}


def _cell_view(row: Row | None, lay: layouts.Layout, r_item: layouts.Item, c_item: layouts.Item,
               out_dir: Path, footnote: int) -> dict | None:
    """One cell of a pivot: published value (linked to its source), ours, delta, verdict, run links."""
    if row is None:
        return None
    view = _row_view(row, out_dir, footnote)
    e = row.entry
    if r_item.other_work:
        view["ours"], view["verdict"], view["verdict_class"] = layouts.OTHER_WORK, "not run", "other-work"
    view.update(id=f"cell-{e.index}", detail=layouts.detail(lay, r_item, c_item, e),
                ours_at=f"{e.exp} · {e.key}" if e.exp else "no such run in our grid")
    return view


def pivot_view(pv: layouts.Pivot, out_dir: Path, footnote_of) -> dict:
    """A published table as the template draws it: header rows (column groups over labels) and one body row
    per layout row (its group spanning the rows that share it)."""
    lay = pv.layout
    row_groups, starts = pv.row_groups, {}
    at = 0
    for group, span in row_groups:
        starts[at] = (group, span)
        at += span
    body = []
    for i, (item, cells) in enumerate(zip(pv.rows, pv.cells)):
        body.append({"label": item.label, "group": starts.get(i), "other_work": item.other_work,
                     "cells": [_cell_view(c, lay, item, col, out_dir, footnote_of(c)) for c, col in
                               zip(cells, pv.columns)]})
    return {"table": lay.table, "title": lay.title, "anchor": "table-" + "".join(
                ch if ch.isalnum() else "-" for ch in lay.table.lower()).strip("-"),
            "column_groups": pv.column_groups, "columns": [c.label for c in pv.columns],
            "row_groups": bool(row_groups), "rows": body}


def _claim_cell(cell: claims_mod.Cell, value: float | None, stat: Stat | None, runs, out_dir: Path,
                digits: int) -> dict:
    e = cell.entry
    return {"label": cell.label, "href": f"#cell-{e.index}" if e is not None else None,
            "published": e.value_text if e is not None else None,
            "ours": fmt_stat(stat, digits) if stat is not None else None,
            "links": _run_links(runs, out_dir), "value": value}


def claim_view(result: claims_mod.Result, out_dir: Path) -> dict:
    """A claim, its two statuses and the evidence: every pair on the published numbers and on our runs."""
    c = result.claim

    def digits(cell: claims_mod.Cell) -> int:
        return max(1, min(3, cell.entry.decimals)) if cell.entry is not None else 2

    pairs = []
    for k, ours in enumerate(result.ours_pairs):
        pub = result.published_pairs[k] if result.published_pairs else None
        d = digits(ours.pair.better)
        pairs.append({
            "better": _claim_cell(ours.pair.better, ours.better, ours.better_stat, ours.better_runs, out_dir, d),
            "than": _claim_cell(ours.pair.than, ours.than, ours.than_stat, ours.than_runs, out_dir, d),
            "published": None if pub is None else {"gain": fmt_num(pub.gain, d, signed=True), "status": pub.status},
            "ours": {"gain": fmt_num(ours.gain, d, signed=True) if ours.gain is not None else "",
                     "status": ours.status}})
    return {"id": c.id, "says": c.says, "where": c.where, "source": c.source, "note": c.note,
            "margin": f"{c.margin:g}", "direction": c.direction, "published": result.published,
            "ours": result.ours, "pairs": pairs,
            "failing": [p for p in pairs if p["ours"]["status"] == claims_mod.FAILS
                        or (p["published"] or {}).get("status") == claims_mod.FAILS]}


def claims_context(slug: str, claims_dir: Path, entries, runs_by_exp, out_dir: Path) -> dict:
    path = Path(claims_dir) / f"{slug}.yaml"
    results = [claims_mod.evaluate(c, runs_by_exp) for c in claims_mod.load_slug(claims_dir, slug, entries)]
    return {"items": [claim_view(r, out_dir) for r in results], "counts": claims_mod.counts(results),
            "name": path.as_posix(), "href": rel_link(path, out_dir) if path.exists() else None}


def paper_context(paper: Paper, published_dir: Path, results_dir: Path, out_dir: Path,
                  fidelity_dir: Path | None = None, claims_dir: Path | None = None, draw: bool = True) -> dict:
    """Context of one paper page; ``draw=False`` skips the scatter image (the page is not being written)."""
    entries = load_slug(published_dir, paper.slug)
    tables = layouts.load_slug(published_dir, paper.slug, entries)
    all_runs_by_exp = load_runs(results_dir, paper.slug)
    runs_by_exp, flagged_by_exp = health.partition_by_exp(all_runs_by_exp)  # flagged runs: shown, never averaged
    rows = compare(entries, runs_by_exp)
    sources: list[Source] = []  # footnotes, in order of first use
    for row in rows:
        if row.entry.source not in sources:
            sources.append(row.entry.source)

    def footnote_of(row: Row | None) -> int:
        return sources.index(row.entry.source) + 1 if row is not None else 0

    pivots = [pivot_view(layouts.pivot(tables[t], [r for r in rows if r.entry.table == t]), out_dir, footnote_of)
              for t in dict.fromkeys(e.table for e in entries)]
    unmatched = []
    for exp in unmatched_exps(entries, runs_by_exp):
        runs = runs_by_exp[exp]
        metrics = [(k, aggregate(metric_values(runs, k)[0])) for k in HEADLINE_KEYS]
        unmatched.append({"exp": exp, "links": _run_links(runs, out_dir),
                          "metrics": [(k, fmt_stat(s)) for k, s in metrics if s.n]})
    pts = scatter.points(rows)
    plot = None
    if pts and draw:
        from .plots import scatter_plot  # matplotlib only when there is something to draw

        plot = SCATTER.format(slug=paper.slug)
        scatter_plot(pts, Path(out_dir) / plot, f"{paper.citation}: ours against published, {len(pts)} cells")
    yaml_path = Path(published_dir) / f"{paper.slug}.yaml"
    fidelity_dir = Path(published_dir).parent / "fidelity" if fidelity_dir is None else Path(fidelity_dir)
    claims_dir = Path(published_dir).parent / "claims" if claims_dir is None else Path(claims_dir)
    table = fidelity.load_slug(fidelity_dir, paper.slug)
    summary = summarize(rows, [u["exp"] for u in unmatched])
    return {
        "paper": paper, "pivots": pivots, "footnotes": sources,
        "unmatched": unmatched, "summary": summary, "bar": verdict_bar(summary.counts),
        "thresholds": _thresholds(runs_by_exp),
        "yaml_href": rel_link(yaml_path, out_dir) if yaml_path.exists() else None,
        "yaml_name": yaml_path.as_posix(),
        "layout_name": layouts.path_of(published_dir, paper.slug).as_posix(),
        "results_name": f"{(Path(results_dir) / paper.slug).as_posix()}/",
        "fidelity": fidelity_context(table, fidelity_dir / f"{paper.slug}.yaml", out_dir),
        "claims": claims_context(paper.slug, claims_dir, entries, runs_by_exp, out_dir),
        "scatter": {"plot": plot, "n": len(pts), "tables": scatter.tables(pts),
                    "tolerances": [f"{t:g}" for t in scatter.tolerances(pts)]},
        "long_tsv": LONG_TSV.format(slug=paper.slug), "long_tsv_text": to_long_tsv(rows),
        "runs": [r for rs in all_runs_by_exp.values() for r in rs],
        "health": health_view(flagged_by_exp, out_dir),
        "cdb": (cdb_context([r for s in CDB_SLUGS for rs in load_runs(results_dir, s).values() for r in rs],
                            out_dir, paper.slug, draw, scope="every CDB run under " + ", ".join(
                                f"results/{s}/" for s in CDB_SLUGS), source="MNIST-LT in the demo and the matrix")
                if paper.slug == "cdb" else None),
    }


def health_view(flagged_by_exp: dict, out_dir: Path) -> list[dict]:
    """Flagged runs as the _health.html partial lists them."""
    return [{"where": exp, "seed": r.seed, "reasons": ", ".join(h.reasons), "detail": h.summary(),
             "href": rel_link(r.metrics_path, out_dir)} for exp, flagged in flagged_by_exp.items() for r, h in flagged]


def cdb_context(runs, out_dir: Path, slug: str, draw: bool, scope: str, source: str) -> dict:
    """The _cdb_weights.html partial: per-epoch class weights of the CDB runs among ``runs`` (plot under img/)
    and what they show about the official zero weights."""
    trajs = cdb_weights.trajectories(runs)
    plot = None
    if trajs and draw:
        plot = CDB_WEIGHTS_PLOT.format(slug=slug)
        cdb_weights.weights_plot(trajs, Path(out_dir) / plot, "CDB class weights per epoch (0: red x)")
    found = cdb_weights.findings(trajs)
    return {"findings": found, "sentences": cdb_weights.sentences(found), "plot": plot, "n_runs": len(trajs),
            "scope": scope, "source": source}


def verdict_bar(counts: dict[str, int]) -> list[dict]:
    """Segments of a stacked bar: each verdict's count and its share of the published numbers (%)."""
    total = sum(counts.get(v, 0) for v in VERDICTS)
    return [{"verdict": v, "class": v.replace(" ", "-"), "count": counts.get(v, 0),
             "pct": round(100.0 * counts.get(v, 0) / total, 3) if total else 0.0} for v in VERDICTS]


def _demo_stat(stat: Stat, n_error: int, keep_n: bool) -> str:
    """Demo cell: '–' for an empty shot group; '(n=k)' only on the error column or where n differs."""
    if stat.n == 0:
        return "–"
    text = fmt_stat(stat)
    return text if keep_n or stat.n != n_error else text.rsplit(" (n=", 1)[0]


def demo_context(results_dir: Path, published_dir: Path, out_dir: Path, draw: bool = True,
                 claims_dir: Path | None = None) -> dict:
    """Context of demo.html; ``draw=False`` skips the plot (for the index status line only)."""
    all_runs_by_exp = load_runs(results_dir, demo_mod.SLUG)
    runs_by_exp, flagged_by_exp = health.partition_by_exp(all_runs_by_exp)  # flagged runs: shown, never averaged
    cells = demo_mod.build_cells(runs_by_exp)
    rhos, losses, _ = demo_mod.grid(demo_mod.build_cells(all_runs_by_exp))  # every (ρ, loss) with a run
    by_pair = {(c.rho, c.loss): c for c in cells}
    flagged_pairs = {demo_mod.rho_and_loss(exp, [r for r, _ in fl]): fl for exp, fl in flagged_by_exp.items()}
    table, err = [], demo_mod.TABLE_KEYS[0]
    for loss in losses:
        row = []
        for rho in rhos:
            cell, flagged = by_pair.get((rho, loss)), flagged_pairs.get((rho, loss), [])
            row.append(None if cell is None and not flagged else {
                "stats": {k: _demo_stat(cell.stats[k], cell.stats[err].n, keep_n=k == err) if cell else "–"
                          for k in demo_mod.TABLE_KEYS},
                "links": _run_links(cell.runs, out_dir) if cell else [], "exp": cell.exp if cell else None,
                "flagged": [{"seed": r.seed, "reasons": ", ".join(h.reasons), "href": rel_link(r.metrics_path, out_dir)}
                            for r, h in flagged]})
        table.append({"loss": loss, "cells": row})
    plot = None
    if cells and draw:
        from .plots import per_class_accuracy_plot  # matplotlib only when there is something to draw

        per_class_accuracy_plot(cells, Path(out_dir) / DEMO_PLOT)
        plot = DEMO_PLOT
    published = load_slug(published_dir, demo_mod.SLUG)
    pub_rows = [_row_view(r, out_dir, 0) for r in compare(published, runs_by_exp)]
    shot_groups: dict[str, dict] = {}
    for c in cells:  # class counts per shot group depend on ρ only
        if c.group_sizes:
            shot_groups.setdefault(f"{c.rho:g}", c.group_sizes)
    claims_dir = Path(published_dir).parent / "claims" if claims_dir is None else Path(claims_dir)
    return {
        "rhos": [f"{r:g}" for r in rhos], "table": table, "plot": plot, "n_exps": len(cells),
        "n_runs": sum(len(c.runs) for c in cells), "thresholds": _thresholds(runs_by_exp),
        "shot_groups": shot_groups, "published_rows": pub_rows,
        "claims": claims_context(demo_mod.SLUG, claims_dir, published, runs_by_exp, out_dir),
        "headline": demo_headline(cells),
        "runs": [r for rs in all_runs_by_exp.values() for r in rs],
        "health": health_view(flagged_by_exp, out_dir),
        "cdb": cdb_context([r for rs in all_runs_by_exp.values() for r in rs], out_dir, demo_mod.SLUG, draw,
                           scope="the demo's CDB runs", source="MNIST-LT, 50 validation images per class"),
    }


def demo_headline(cells) -> dict | None:
    """The demo loss table's best and worst rows at the largest ρ, for the index."""
    h = demo_mod.headline(cells)
    if h is None:
        return None
    err = demo_mod.TABLE_KEYS[0]

    def row(cell) -> dict:
        return {"loss": cell.loss, "error": fmt_stat(cell.stats[err]), "few": fmt_stat(cell.stats["few_acc_pct"]),
                "mean_class": fmt_stat(cell.stats["mean_class_acc_pct"])}

    return {"rho": f"{h['rho']:g}", "n_losses": h["n_losses"], "best": row(h["best"]), "worst": row(h["worst"])}


def render_all(results_dir: str | Path, published_dir: str | Path, out_dir: str | Path,
               only: str | None = None, fidelity_dir: str | Path | None = None,
               claims_dir: str | Path | None = None) -> list[Path]:
    """Write index.html, one page per paper (with its long-form TSV under data/ and its scatter under img/)
    and demo.html; returns the written paths.

    ``only=SLUG`` re-renders that page and index.html, plus any page that does not exist yet, so that
    every link of the index resolves (what the per-paper Snakemake rule needs). Fidelity tables are read
    from ``fidelity_dir``, claims from ``claims_dir`` (defaults: the 'fidelity' and 'claims' folders next
    to ``published_dir``).
    """
    results_dir, published_dir, out_dir = Path(results_dir), Path(published_dir), Path(out_dir)
    if only is not None and only not in SLUGS + (demo_mod.SLUG,):
        raise ValueError(f"--only {only!r}: unknown page; choose one of {', '.join(SLUGS + (demo_mod.SLUG,))}")
    out_dir.mkdir(parents=True, exist_ok=True)

    def wanted(slug: str) -> bool:
        return only is None or only == slug or not (out_dir / f"{slug}.html").exists()

    env = _env()
    written, index_items, all_runs = [], [], []
    for paper in PAPERS:
        draw = wanted(paper.slug)
        ctx = paper_context(paper, published_dir, results_dir, out_dir, fidelity_dir, claims_dir, draw=draw)
        if draw:
            written.append(atomic_write_text(out_dir / ctx["long_tsv"], ctx["long_tsv_text"]))
            if ctx["scatter"]["plot"]:
                written.append(out_dir / ctx["scatter"]["plot"])
            written.append(atomic_write_text(out_dir / f"{paper.slug}.html",
                                             env.get_template("paper.html").render(**ctx)))
        index_items.append({"paper": paper, "href": f"{paper.slug}.html", "summary": ctx["summary"],
                            "bar": ctx["bar"], "fidelity": ctx["fidelity"]["counts"],
                            "claims": ctx["claims"]["counts"]})
        all_runs += ctx["runs"]
    draw_demo = wanted(demo_mod.SLUG)
    dctx = demo_context(results_dir, published_dir, out_dir, draw=draw_demo, claims_dir=claims_dir)
    if draw_demo:
        written.append(atomic_write_text(out_dir / "demo.html", env.get_template("demo.html").render(**dctx)))
        if dctx["plot"]:
            written.append(out_dir / dctx["plot"])
    last = newest(all_runs + dctx["runs"])
    written.append(atomic_write_text(out_dir / "index.html", env.get_template("index.html").render(
        items=index_items, newest=provenance(last) if last else None,
        demo={"href": "demo.html", "n_exps": dctx["n_exps"], "n_runs": dctx["n_runs"],
              "headline": dctx["headline"], "claims": dctx["claims"]["counts"]})))
    return written
