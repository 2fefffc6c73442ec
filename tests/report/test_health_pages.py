"""Flagged runs on the demo and paper pages: shown with their reason, never averaged (lt_repro.report.health)."""
import json
from pathlib import Path

from lt_repro.report.html import render_all

from .conftest import _write_run

PUBLISHED = Path(__file__).resolve().parents[2] / "configs" / "published"

COLLAPSED = {"top1_err_pct": 90.2, "top1_acc_pct": 9.8, "mean_class_acc_pct": 10.0,
             "per_class_acc_pct": [100.0] + [0.0] * 9, "many_acc_pct": 50.0, "medium_acc_pct": 0.0, "few_acc_pct": 0.0}


def _flag_seed(results, slug, exp, seed, metrics):
    path = results / slug / exp / f"seed-{seed}" / "metrics.json"
    path.write_text(json.dumps(metrics))
    return path


def test_demo_page_shows_a_collapsed_seed_and_averages_the_others(tmp_path, results):
    exp = "mnist-lt-r100_cdb"
    kept = [json.loads((results / "demo" / exp / f"seed-{s}/metrics.json").read_text())["top1_err_pct"] for s in (0, 1)]
    _flag_seed(results, "demo", exp, 2, COLLAPSED)
    out = tmp_path / "reports"
    render_all(results, PUBLISHED, out, only="demo")
    html = (out / "demo.html").read_text()
    mean = sum(kept) / 2
    assert f"{mean:.2f} ± " in html and "(n=2)" in html  # the two healthy seeds
    assert "90.20" not in html  # the collapsed seed's error is not in any average
    assert "⚑ seed 2: collapsed, diverged" in html or "⚑ seed 2: collapsed" in html
    assert 'id="run-health"' in html and f"../results/demo/{exp}/seed-2/metrics.json" in html
    assert "1 run flagged" in html


def test_a_cell_whose_every_seed_is_flagged_is_still_shown(tmp_path, results):
    for s in (0, 1, 2):
        _flag_seed(results, "demo", "mnist-lt-r10_ce", s, {"run_status": "non-finite", "nonfinite_epoch": 2,
                                                           "nonfinite_iter": 300})
    out = tmp_path / "reports"
    render_all(results, PUBLISHED, out, only="demo")
    html = (out / "demo.html").read_text()
    assert html.count("non-finite</a>") == 3 and "epoch 2, iteration 300" in html
    assert "<th>ce</th>" in html  # the loss row stays


def test_paper_page_lists_flagged_runs_and_compares_the_healthy_ones(tmp_path, results):
    _write_run(results, "cdb", "cifar100lt-r100_cdb-ce", 2, {"run_status": "non-finite", "nonfinite_epoch": 7,
                                                             "nonfinite_iter": 9})
    out = tmp_path / "reports"
    render_all(results, PUBLISHED, out, only="cdb")
    html = (out / "cdb.html").read_text()
    assert 'id="run-health"' in html and "cifar100lt-r100_cdb-ce" in html and "epoch 7, iteration 9" in html
    assert 'id="cdb-weights"' in html
    tsv = (out / "data/cdb.tsv").read_text().splitlines()
    head = tsv[0].split("\t")
    rows = [dict(zip(head, line.split("\t"))) for line in tsv[1:]]
    row = next(r for r in rows if r["exp"] == "cifar100lt-r100_cdb-ce" and r["key"] == "best_val/top1_err_pct")
    assert row["n"] == "2" and float(row["ours_mean"]) == 57.5  # the two healthy seeds, not the flagged one
