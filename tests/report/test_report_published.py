"""Schema validation of configs/published/*.yaml: good files load, bad entries give errors naming file,
entry and field."""
from __future__ import annotations

from pathlib import Path

import pytest

from lt_repro.report.published import PublishedError, decimals_of, load_all, load_file, load_slug

REPO = Path(__file__).resolve().parents[2]


def test_valid_entry_keeps_printed_digits(write_published, entry_yaml):
    folder = write_published("cdb", entry_yaml(), entry_yaml(value="79.30", metric="mAP", key="mAP_pct"))
    a, b = load_slug(folder, "cdb")
    assert (a.value, a.value_text, a.decimals, a.half_unit) == (57.43, "57.43", 2, pytest.approx(0.005))
    assert (b.value, b.value_text, b.decimals) == (79.3, "79.30", 2)  # trailing zero survives YAML
    assert a.slug == "cdb" and a.index == 0 and a.verified is True and a.note == ""
    assert a.exp == "cifar100lt-r100_cdb-ce" and a.key == "top1_err_pct" and a.direction == "lower"


@pytest.mark.parametrize("text,decimals", [("41.26", 2), ("25.0", 1), ("38", 0), ("0.0", 1), ("1.5e1", 1)])
def test_decimals_of(text, decimals):
    assert decimals_of(text) == decimals


def test_null_exp_and_key_allowed(write_published, entry_yaml):
    (e,) = load_slug(write_published("eql", entry_yaml(exp="null", key="null")), "eql")
    assert e.exp is None and e.key is None


def test_missing_file_is_no_entries(tmp_path):
    assert load_slug(tmp_path, "demo") == []


def _error(write_published, *entries) -> str:
    folder = write_published("cdb", *entries)
    with pytest.raises(PublishedError) as info:
        load_slug(folder, "cdb")
    return str(info.value)


@pytest.mark.parametrize("override,field,hint", [
    (dict(direction="down"), "'direction'", "'lower' or 'higher'"),
    (dict(value='"57.43"'), "'value'", "unquoted"),
    (dict(value="abc"), "'value'", "finite number"),
    (dict(tolerance="-1"), "'tolerance'", ">= 0"),
    (dict(provenance='""'), "'provenance'", "non-empty string"),
    (dict(key="null"), "'key'", "metrics.json key"),
    (dict(key="top1_err"), "top1_err", "_pct"),
    (dict(exp="cdb/cifar100lt-r100_cdb-ce/seed-0"), "'exp'", "one directory name"),
    (dict(verified="maybe"), "'verified'", "true or false"),
])
def test_bad_field_names_file_entry_and_field(write_published, entry_yaml, override, field, hint):
    msg = _error(write_published, entry_yaml(metric="ok"), entry_yaml(**override))
    assert "cdb.yaml" in msg and "entry 1" in msg and field in msg and hint in msg


def test_missing_field_is_named(write_published, entry_yaml):
    msg = _error(write_published, entry_yaml(provenance=...))
    assert "cdb.yaml: entry 0" in msg and "missing field(s) provenance" in msg


def test_unknown_field_is_rejected(write_published, entry_yaml):
    msg = _error(write_published, entry_yaml(tolerence="1.0"))
    assert "unknown field(s) tolerence" in msg and "allowed fields" in msg


def test_duplicate_entries_are_rejected(write_published, entry_yaml):
    msg = _error(write_published, entry_yaml(), entry_yaml())
    assert "entry 1" in msg and "duplicates entry 0" in msg


def test_file_must_be_a_list(write_published):
    assert "must be a YAML list" in _error(write_published, "paper: x\n")


def test_invalid_yaml_is_reported_with_file(write_published):
    assert "cdb.yaml: not valid YAML" in _error(write_published, "- paper: [unclosed\n")


def test_entry_must_be_a_mapping(write_published):
    assert "entry 0: an entry must be a mapping" in _error(write_published, "- just a string\n")


def test_repository_files_are_valid():
    """Every configs/published/*.yaml of this repository passes the schema, with real provenance."""
    found = load_all(REPO / "configs" / "published")
    assert {"cb", "eql", "seesaw", "db", "cdb"} <= set(found)
    assert "demo" not in found  # no published MNIST numbers were found
    for slug, entries in found.items():
        for e in entries:
            assert len(e.provenance) > 40, (slug, e.index)
            assert e.exp is None or e.key
    cdb = {(e.dataset, e.value_text) for e in found["cdb"]}
    assert {("CIFAR-100-LT, ρ=10", "41.26"), ("CIFAR-100-LT, ρ=100", "57.43"), ("ImageNet-LT", "38.5")} <= cdb
    assert all(not e.verified for e in found["cdb"] if "EGTEA" in e.dataset)


def test_load_file_on_real_seesaw_matches_model_zoo_layout():
    entries = load_file(REPO / "configs" / "published" / "seesaw.yaml")
    exps = {e.exp for e in entries}
    assert "lvis-v1_mask-rcnn-r50-fpn-2x_seesaw_random" in exps
    assert "lvis-v1_cascade-mask-rcnn-r101-fpn-2x_seesaw_rfs_normed-mask" in exps
    zoo = [e for e in entries if e.table.startswith("MMDetection model zoo")]
    assert zoo and {e.key for e in zoo} == {"segm_AP_pct", "bbox_AP_pct"}
