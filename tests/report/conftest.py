"""Fixtures writing real on-disk results trees and published-numbers files for the report tests."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from lt_repro.metrics.classification import classification_metrics


def _write_run(results: Path, slug: str, exp: str, seed: int, metrics: dict, record: dict | None = None) -> Path:
    d = results / slug / exp / f"seed-{seed}"
    d.mkdir(parents=True, exist_ok=True)
    (d / "metrics.json").write_text(json.dumps(metrics))
    rec = {"slug": slug, "exp": exp, "seed": seed, **(record or {})}
    (d / "record.json").write_text(json.dumps(rec))
    return d / "metrics.json"


@pytest.fixture
def write_run():
    """write_run(results_root, slug, exp, seed, metrics, record=None) -> path of metrics.json"""
    return _write_run


ENTRY = dict(paper="Some Paper (A et al., X 2020)", table="Table 1", dataset="CIFAR-100-LT, ρ=100",
             split="test", backbone="ResNet-32", method="CDB-CE", metric="top-1 error", value="57.43",
             unit='"%"', direction="lower", tolerance="1.0", source="paper",
             cell='"Table 1, row CDB-CE, column ρ=100"', exp="cifar100lt-r100_cdb-ce", key="top1_err_pct")
SOURCES = {"paper": '{cite: "A et al., Some Paper, X 2020", open: "arXiv:2001.00001v2"}'}


def _entry_yaml(**overrides) -> str:
    """One YAML list item; values are written verbatim (numbers keep their printed text)."""
    fields = {**ENTRY, **overrides}
    lines = []
    for i, (k, v) in enumerate((k, v) for k, v in fields.items() if v is not ...):
        lines.append(("- " if i == 0 else "  ") + f"{k}: {v}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def entry_yaml():
    """entry_yaml(**overrides) -> YAML text of one valid entry; override=... drops the field."""
    return _entry_yaml


def published_yaml(*entries: str, sources: dict[str, str] | None = None) -> str:
    """A whole published file: ``sources`` (key -> YAML flow mapping) and the entries (list items) under it."""
    src = "".join(f"  {k}: {v}\n" for k, v in (SOURCES if sources is None else sources).items())
    items = textwrap.indent("".join(textwrap.dedent(e) for e in entries), "  ")
    return f"# test file\nsources:\n{src}entries:\n{items or '  []'}\n"


@pytest.fixture
def write_published(tmp_path):
    """write_published(slug, *entry_texts, folder=None, sources=None, text=None) -> folder holding <slug>.yaml;
    ``text`` writes the file verbatim instead."""
    def _write(slug: str, *entries: str, folder: Path | None = None, sources: dict[str, str] | None = None,
               text: str | None = None) -> Path:
        folder = folder or tmp_path / "published"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{slug}.yaml").write_text(published_yaml(*entries, sources=sources) if text is None else text)
        return folder
    return _write


def demo_metrics(rng, counts, skill):
    """Real metrics.json content from lt_repro.metrics on synthetic predictions: bigger classes, better."""
    target = np.repeat(np.arange(10), 100)
    p_correct = np.clip(skill + 0.08 * np.log10(np.asarray(counts))[target], 0, 1)
    pred = np.where(rng.random(target.size) < p_correct, target, (target + 1) % 10)
    return classification_metrics(pred, target, counts, many_above=1000, few_below=100)


@pytest.fixture
def results(tmp_path):
    """A results tree: 12 demo runs (ρ 10/100 x ce/cdb x 3 seeds) with real lt_repro.metrics output, two cdb
    seeds of a published exp (best_val/ keys, shot thresholds) and one cdb exp without published counterpart."""
    res = tmp_path / "results"
    rng = np.random.default_rng(0)
    for rho in (10, 100):
        counts = [int(5000 * rho ** (-c / 9)) for c in range(10)]
        for loss, skill in (("ce", 0.55), ("cdb", 0.6)):
            for seed in (0, 1, 2):
                _write_run(res, "demo", f"mnist-lt-r{rho}_{loss}", seed, demo_metrics(rng, counts, skill),
                           {"dataset": "mnist-lt", "imbalance_ratio": rho, "loss": loss,
                            "train_count_per_class": counts})
    for seed, err in enumerate((57.0, 58.0)):
        _write_run(res, "cdb", "cifar100lt-r100_cdb-ce", seed,
                   {"best_val/top1_err_pct": err, "top1_err_pct": err + 1, "shot_many_above": 100,
                    "shot_few_below": 20})
    _write_run(res, "cdb", "cifar100lt-r100_ce", 0, {"top1_err_pct": 61.5, "mean_class_acc_pct": 38.5})
    return res
