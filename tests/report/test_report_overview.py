"""The scatter data, the long-form TSV, the index (bars, claims, deviations, demo headline, newest run) and
the pivot tables on the rendered pages."""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from lt_repro.report import demo as demo_mod
from lt_repro.report import scatter
from lt_repro.report.compare import LONG_COLUMNS, compare
from lt_repro.report.html import render_all, verdict_bar
from lt_repro.report.published import load_file, load_slug
from lt_repro.report.runs import load_runs, newest, provenance

from ._pages import Page

REPO = Path(__file__).resolve().parents[2]
PUBLISHED = REPO / "configs" / "published"


def test_scatter_points_only_compared_cells(tmp_path, write_published, entry_yaml, write_run):
    folder = write_published("x", entry_yaml(method="A", value="30.0", exp="r-a", tolerance="1.0"),
                             entry_yaml(method="B", value="20.0", exp="r-b", table='"Table 2"', tolerance="2.0"),
                             entry_yaml(method="C", value="10.0", exp="null", key="null"))
    results = tmp_path / "results"
    write_run(results, "x", "r-a", 0, {"top1_err_pct": 31.0})
    write_run(results, "x", "r-a", 1, {"top1_err_pct": 33.0})
    write_run(results, "x", "r-b", 0, {"top1_err_pct": 19.0})
    pts = scatter.points(compare(load_file(folder / "x.yaml"), load_runs(results, "x")))
    assert [(p.table, p.published, p.ours, p.n, p.offset) for p in pts] == [("Table 1", 30.0, 32.0, 2, 2.0),
                                                                           ("Table 2", 20.0, 19.0, 1, -1.0)]
    assert pts[0].std == pytest.approx(2 ** 0.5) and pts[1].std is None
    assert scatter.tables(pts) == ["Table 1", "Table 2"] and scatter.tolerances(pts) == [1.0, 2.0]
    lo, hi = scatter.limits(pts)
    assert lo < 18.0 and hi > 33.4  # every point, its ± std bar and its band inside
    with pytest.raises(ValueError):
        scatter.limits([])


def test_verdict_bar():
    bar = verdict_bar({"match": 1, "within tolerance": 0, "mismatch": 1, "not run": 2})
    assert [(b["verdict"], b["count"], b["pct"]) for b in bar] == [
        ("match", 1, 25.0), ("within tolerance", 0, 0.0), ("mismatch", 1, 25.0), ("not run", 2, 50.0)]
    assert all(b["pct"] == 0 for b in verdict_bar({}))


def test_demo_headline_best_and_worst_at_the_largest_ratio(results):
    cells = demo_mod.build_cells(load_runs(results, "demo"))
    h = demo_mod.headline(cells)
    at = [c for c in cells if c.rho == 100]
    best = min(at, key=lambda c: c.stats["top1_err_pct"].mean)
    assert h["rho"] == 100 and h["best"] is best and h["worst"] is not best and h["n_losses"] == 2
    assert demo_mod.headline([c for c in cells if c.loss == "ce"]) is None  # one loss per ratio: no ranking


def test_newest_run_and_its_provenance(tmp_path, write_run):
    old = write_run(tmp_path, "cb", "e1", 0, {"a": 1}, {"git_sha": "aaa", "versions": {"torch": "2.5.1", "mmcv": None}})
    new = write_run(tmp_path, "cb", "e2", 0, {"a": 1}, {"git_sha": "bbb", "versions": {"torch": "2.5.1"}})
    os.utime(old, (1_700_000_000, 1_700_000_000))
    os.utime(new, (1_700_000_600, 1_700_000_600))
    runs = [r for rs in load_runs(tmp_path, "cb").values() for r in rs]
    last = newest(runs)
    assert last.exp == "e2" and newest([]) is None
    p = provenance(last)
    assert p["git_sha"] == "bbb" and p["date"] == "2023-11-14 22:23 UTC" and p["versions"] == {"torch": "2.5.1"}
    assert provenance(newest(runs[:1]))["versions"] == {"torch": "2.5.1"}  # uninstalled packages left out


def test_pages_tsv_index_and_pivots(tmp_path, results, write_run):
    write_run(results, "cb", "cifar10lt-r100_softmax", 0, {"top1_err_pct": 29.60},
              {"git_sha": "feedbeef", "versions": {"torch": "2.5.1", "mmengine": "0.10.5"}})
    out = tmp_path / "reports"
    render_all(results, PUBLISHED, out)

    # long form, for download, linked from the page
    cb = Page(out / "cb.html")
    assert "data/cb.tsv" in cb.links
    rows = list(csv.DictReader(io.StringIO((out / "data/cb.tsv").read_text()), delimiter="\t"))
    assert tuple(rows[0]) == LONG_COLUMNS and len(rows) == len(load_slug(PUBLISHED, "cb"))
    ran = [r for r in rows if r["n"] != "0"]
    assert len(ran) == 1 and ran[0]["published"] == "29.64" and ran[0]["verdict"] == "within tolerance"
    assert ran[0]["source"] == "arXiv:1901.05555v1" and ran[0]["cell"].startswith("Table 2, row 'Softmax'")

    # the scatter of the compared cells
    assert "img/cb_vs_published.png" in cb.images and (out / "img/cb_vs_published.png").stat().st_size > 10_000
    assert "No published cell has a run yet." in (out / "eql.html").read_text()

    # pivots: one table per published table, cells carry their verdict
    html = (out / "cb.html").read_text()
    assert html.count('<table class="pivot"') == 2
    cell = next(c for c in cb.cells if c["attrs"].get("data-verdict") == "within tolerance")
    assert cell["text"].startswith("29.64") and "29.60 (n=1)" in cell["text"] and "Δ -0.040" in cell["text"]
    assert cell["attrs"]["id"].startswith("cell-") and "Long-Tailed CIFAR-10, Imbalance 100" in cell["attrs"]["title"]

    # index: a bar per paper linked to its page, claims and deviations counts, demo headline, newest run
    index = Page(out / "index.html")
    text = " ".join((out / "index.html").read_text().split())
    assert index.links.count("cb.html") == 2  # title and bar
    assert text.count('class="bar"') == 5
    assert "4 claims; on the published numbers: 4 hold; our runs: 0 hold, 0 fail, 4 not run" in text
    assert text.count("recipe vs official code:") == 5  # every paper has a fidelity table
    assert "At ρ = 100 (2 losses), lowest test error:" in text
    assert "git feedbeef" in text and "torch 2.5.1 · mmengine 0.10.5" in text


def test_other_work_rows_are_shown_not_dropped(tmp_path):
    out = tmp_path / "reports"
    render_all(tmp_path / "no-results", PUBLISHED, out, only="seesaw")
    page = Page(out / "seesaw.html")
    other = [c for c in page.cells if "other-work" in c["attrs"].get("class", "").split()]
    assert len(other) == 8 * 5 + 6 * 4  # Table 1: EQL and BAGS rows; Table 10: six methods of other papers
    assert all("other work, not run here" in c["text"] and c["text"][0].isdigit() for c in other)
    html = (out / "seesaw.html").read_text()
    assert html.count('class="other-work-row"') == 14
