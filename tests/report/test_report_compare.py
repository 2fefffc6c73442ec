"""Aggregation, verdicts, comparison.tsv and atomic writes, on hand-made metrics.json files."""
from __future__ import annotations

import csv
import os
import statistics

import pytest

from lt_repro.report import __main__ as cli
from lt_repro.report._io import atomic_open, atomic_write_text
from lt_repro.report.compare import (TSV_COLUMNS, Stat, aggregate, compare, summarize, to_tsv, unmatched_exps,
                                     verdict)
from lt_repro.report.published import load_slug
from lt_repro.report.runs import RunsError, load_runs


def test_aggregate_mean_sample_std_and_n():
    s = aggregate([57.0, 58.0, 60.0])
    assert s.n == 3
    assert s.mean == pytest.approx(175.0 / 3)
    assert s.std == pytest.approx(statistics.stdev([57.0, 58.0, 60.0]))  # ddof = 1
    assert s.std == pytest.approx(1.5275252, rel=1e-6)


def test_aggregate_single_none_and_empty():
    assert aggregate([41.0]) == Stat(41.0, None, 1)  # no spread from one seed
    assert aggregate([None, float("nan"), 2.0, 4.0]) == Stat(3.0, pytest.approx(2 ** 0.5), 2)
    assert aggregate([]) == Stat(None, None, 0)


@pytest.mark.parametrize("mean,expected", [
    (57.434, "match"),  # within half a unit of the last printed digit (0.005)
    (57.425, "match"),  # band edge
    (57.44, "within tolerance"),
    (58.43, "within tolerance"),  # tolerance edge
    (58.5, "mismatch"),
    (55.0, "mismatch"),
])
def test_verdict_bands(mean, expected):
    assert verdict(57.43, 0.005, 1.0, Stat(mean, 0.1, 3)) == expected


def test_verdict_not_run():
    assert verdict(57.43, 0.005, 1.0, Stat(None, None, 0)) == "not run"


@pytest.fixture
def tree(tmp_path, write_run, write_published, entry_yaml):
    """cdb: one exp matching, one within tolerance, one mismatch, one not run, plus an unmatched exp."""
    pub = write_published(
        "cdb",
        entry_yaml(dataset='"CIFAR-100-LT, ρ=100"', value="57.43", exp="cifar100lt-r100_cdb-ce"),
        entry_yaml(dataset='"CIFAR-100-LT, ρ=10"', value="41.26", exp="cifar100lt-r10_cdb-ce"),
        entry_yaml(dataset="ImageNet-LT", metric='"top-1 accuracy"', value="38.5", direction="higher",
                   exp="imagenetlt_r10_cdb-ce", key="top1_acc_pct"),
        entry_yaml(dataset="EGTEA", metric='"average recall"', value="66.24", direction="higher",
                   exp="egtea_r3d-x101_cdb-ce", key="mean_class_acc_pct"),
        entry_yaml(dataset="Nowhere", exp="null", key="null"),
    )
    res = tmp_path / "results"
    for seed, err in enumerate([57.42, 57.44, 57.43]):  # mean 57.43 -> match
        write_run(res, "cdb", "cifar100lt-r100_cdb-ce", seed, {"top1_err_pct": err})
    for seed, err in enumerate([41.9, 42.1]):  # mean 42.0, delta +0.74 -> within tolerance
        write_run(res, "cdb", "cifar100lt-r10_cdb-ce", seed, {"top1_err_pct": err})
    write_run(res, "cdb", "imagenetlt_r10_cdb-ce", 0, {"top1_acc_pct": 35.0})  # delta -3.5 -> mismatch
    write_run(res, "cdb", "egtea_r3d-x101_cdb-ce", 0, {"top1_acc_pct": 70.0})  # key missing -> not run
    write_run(res, "cdb", "cifar100lt-r50_ce", 0, {"top1_err_pct": 60.0})  # no published counterpart
    (res / "cdb" / "cifar100lt-r100_cdb-ce" / "seed-9").mkdir()  # unfinished run: no metrics.json
    return res, pub


def test_compare_verdicts_on_runs(tree):
    res, pub = tree
    runs = load_runs(res, "cdb")
    assert [r.seed for r in runs["cifar100lt-r100_cdb-ce"]] == [0, 1, 2]  # seed-9 unfinished, skipped
    rows = compare(load_slug(pub, "cdb"), runs)
    assert [r.verdict for r in rows] == ["match", "within tolerance", "mismatch", "not run", "not run"]
    m, w, x, egtea, _ = rows
    assert m.stat.n == 3 and m.stat.mean == pytest.approx(57.43) and m.stat.std == pytest.approx(0.01)
    assert w.delta == pytest.approx(0.74) and w.better is False  # error went up: worse
    assert x.delta == pytest.approx(-3.5) and x.better is False  # accuracy went down: worse
    assert egtea.stat.n == 0 and len(egtea.runs_without_key) == 1
    assert unmatched_exps(load_slug(pub, "cdb"), runs) == ["cifar100lt-r50_ce"]
    s = summarize(rows, ["cifar100lt-r50_ce"])
    assert (s.published, s.compared, s.unmatched) == (5, 3, 1)
    assert s.counts == {"match": 1, "within tolerance": 1, "mismatch": 1, "not run": 2}


def test_tsv_columns_and_values(tree):
    res, pub = tree
    text = to_tsv(compare(load_slug(pub, "cdb"), load_runs(res, "cdb")))
    rows = list(csv.DictReader(text.splitlines(), delimiter="\t"))
    assert tuple(text.splitlines()[0].split("\t")) == TSV_COLUMNS == (
        "paper", "table", "dataset", "method", "metric", "published", "ours_mean", "ours_std", "n", "delta", "verdict")
    assert len(rows) == 5
    first = rows[0]
    assert first["published"] == "57.43" and first["n"] == "3" and first["verdict"] == "match"
    assert float(first["ours_mean"]) == pytest.approx(57.43) and float(first["ours_std"]) == pytest.approx(0.01)
    assert float(rows[1]["delta"]) == pytest.approx(0.74)
    assert rows[2]["ours_std"] == ""  # one seed: no std
    assert rows[3] == {**rows[3], "ours_mean": "", "ours_std": "", "n": "0", "delta": "", "verdict": "not run"}
    assert rows[0]["dataset"] == "CIFAR-100-LT, ρ=100"


def test_cli_compare_writes_tsv(tree, tmp_path, capsys):
    res, pub = tree
    out = tmp_path / "out" / "comparison.tsv"
    assert cli.main(["compare", "--slug", "cdb", "--results", str(res), "--published", str(pub),
                     "--out", str(out)]) == 0
    assert out.read_text().startswith("paper\ttable\t")
    assert "1 match, 1 within tolerance, 1 mismatch, 2 not run" in capsys.readouterr().out
    assert [p.name for p in out.parent.iterdir()] == ["comparison.tsv"]  # no temp file left behind


def test_cli_compare_without_results_or_file(tmp_path):
    out = tmp_path / "demo.tsv"
    assert cli.main(["compare", "--slug", "demo", "--results", str(tmp_path / "none"),
                     "--published", str(tmp_path), "--out", str(out)]) == 0
    assert out.read_text() == "\t".join(TSV_COLUMNS) + "\n"


def test_cli_reports_bad_published_file(tmp_path, write_published, entry_yaml, capsys):
    pub = write_published("cdb", entry_yaml(direction="sideways"))
    assert cli.main(["validate", "--published", str(pub)]) == 2
    err = capsys.readouterr().err
    assert "cdb.yaml: entry 0" in err and "'direction'" in err


def test_malformed_metrics_json_names_file(tmp_path, write_run):
    path = write_run(tmp_path, "cb", "cifar10lt-r100_softmax", 0, {})
    path.write_text("{not json")
    with pytest.raises(RunsError, match="seed-0/metrics.json"):
        load_runs(tmp_path, "cb")


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "comparison.tsv"
    target.write_text("old\n")
    with atomic_open(target) as fh:
        fh.write("new ")
        assert target.read_text() == "old\n"  # untouched while the new content is being written
        fh.write("content\n")
    assert target.read_text() == "new content\n"
    assert os.listdir(tmp_path) == ["comparison.tsv"]


def test_atomic_write_failure_keeps_old_file(tmp_path):
    target = tmp_path / "comparison.tsv"
    atomic_write_text(target, "old\n")
    with pytest.raises(RuntimeError):
        with atomic_open(target) as fh:
            fh.write("half")
            raise RuntimeError("crash mid-write")
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["comparison.tsv"]


def test_report_package_imports_no_torch():
    """lt_repro.report must run where only the report stack is installed."""
    import subprocess
    import sys

    code = ("import sys, lt_repro.report.__main__, lt_repro.report.html, lt_repro.report.demo; "
            "print('torch' in sys.modules, 'mmdet' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
