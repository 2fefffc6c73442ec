"""Schema validation of configs/published/*.yaml: good files load, bad entries and sources give errors
naming file, entry (or source) and field."""
from __future__ import annotations

from pathlib import Path

import pytest

from lt_repro.report.published import PublishedError, decimals_of, load_all, load_file, load_slug
from lt_repro.report.sources import href_of, kind_of

REPO = Path(__file__).resolve().parents[2]


def test_valid_entry_keeps_printed_digits(write_published, entry_yaml):
    folder = write_published("cdb", entry_yaml(), entry_yaml(value="79.30", metric="mAP", key="mAP_pct"))
    a, b = load_slug(folder, "cdb")
    assert (a.value, a.value_text, a.decimals, a.half_unit) == (57.43, "57.43", 2, pytest.approx(0.005))
    assert (b.value, b.value_text, b.decimals) == (79.3, "79.30", 2)  # trailing zero survives YAML
    assert a.slug == "cdb" and a.index == 0 and a.verified is True and a.note == ""
    assert a.exp == "cifar100lt-r100_cdb-ce" and a.key == "top1_err_pct" and a.direction == "lower"
    assert a.source is b.source and a.source.key == "paper" and a.cell == "Table 1, row CDB-CE, column ρ=100"
    assert a.source.href == "https://arxiv.org/abs/2001.00001v2"
    assert a.provenance == "A et al., Some Paper, X 2020 (arXiv:2001.00001v2), Table 1, row CDB-CE, column ρ=100"


@pytest.mark.parametrize("text,decimals", [("41.26", 2), ("25.0", 1), ("38", 0), ("0.0", 1), ("1.5e1", 1)])
def test_decimals_of(text, decimals):
    assert decimals_of(text) == decimals


def test_null_exp_and_key_allowed(write_published, entry_yaml):
    (e,) = load_slug(write_published("eql", entry_yaml(exp="null", key="null")), "eql")
    assert e.exp is None and e.key is None


def test_missing_file_is_no_entries(tmp_path):
    assert load_slug(tmp_path, "demo") == []


def _error(write_published, *entries, **kwargs) -> str:
    folder = write_published("cdb", *entries, **kwargs)
    with pytest.raises(PublishedError) as info:
        load_slug(folder, "cdb")
    return str(info.value)


@pytest.mark.parametrize("override,field,hint", [
    (dict(direction="down"), "'direction'", "'lower' or 'higher'"),
    (dict(value='"57.43"'), "'value'", "unquoted"),
    (dict(value="abc"), "'value'", "finite number"),
    (dict(tolerance="-1"), "'tolerance'", ">= 0"),
    (dict(cell='""'), "'cell'", "non-empty string"),
    (dict(source="pape"), "'source'", "not a key of 'sources'"),
    (dict(source="[paper]"), "'source'", "not a key of 'sources'"),
    (dict(key="null"), "'key'", "metrics.json key"),
    (dict(key="top1_err"), "top1_err", "_pct"),
    (dict(exp="cdb/cifar100lt-r100_cdb-ce/seed-0"), "'exp'", "one directory name"),
    (dict(verified="maybe"), "'verified'", "true or false"),
])
def test_bad_field_names_file_entry_and_field(write_published, entry_yaml, override, field, hint):
    msg = _error(write_published, entry_yaml(metric="ok"), entry_yaml(**override))
    assert "cdb.yaml" in msg and "entry 1" in msg and field in msg and hint in msg


def test_missing_field_is_named(write_published, entry_yaml):
    msg = _error(write_published, entry_yaml(cell=...))
    assert "cdb.yaml: entry 0" in msg and "missing field(s) cell" in msg


def test_unknown_field_is_rejected(write_published, entry_yaml):
    msg = _error(write_published, entry_yaml(tolerence="1.0"))
    assert "unknown field(s) tolerence" in msg and "allowed fields" in msg


def test_duplicate_entries_are_rejected(write_published, entry_yaml):
    msg = _error(write_published, entry_yaml(), entry_yaml())
    assert "entry 1" in msg and "duplicates entry 0" in msg


@pytest.mark.parametrize("text,hint", [
    ("- paper: x\n", "must be a YAML mapping with sources and entries"),
    ("entries: []\n", "missing top-level field(s) sources"),
    ("sources: {}\nentries: []\nlayout: {}\n", "unknown layout"),
    ("sources: {}\nentries: []\n", "non-empty mapping"),
    ('sources: {paper: {cite: "A", open: "arXiv:2001.00001v2"}}\nentries: {paper: x}\n', "must be a YAML list"),
])
def test_file_layout_is_checked(write_published, text, hint):
    folder = write_published("cdb", text=text)
    with pytest.raises(PublishedError, match="cdb.yaml") as info:
        load_slug(folder, "cdb")
    assert hint in str(info.value)


def test_invalid_yaml_is_reported_with_file(write_published):
    assert "cdb.yaml: not valid YAML" in _error(write_published, "- paper: [unclosed\n")


@pytest.mark.parametrize("spec,hint", [
    ('{cite: "A", open: "arXiv:1901.05555"}', "cannot open"),  # no version
    ('{cite: "A", open: "richardaecn/class-balanced-loss@master:README.md"}', "cannot open"),  # a branch
    ('{cite: "A", open: "richardaecn/class-balanced-loss@1d78572:README.md"}', "cannot open"),  # short hash
    ('{cite: "A", open: "richardaecn/class-balanced-loss@1d7857208a2abc03d84e35a9d5383af8225d4b4d"}', "cannot open"),
    ('{cite: "A", open: "paperswithcode.com/paper/x"}', "cannot open"),  # no scheme
    ('{cite: "A", open: "the paper PDF"}', "cannot open"),
    ('{open: "arXiv:1901.05555v1"}', "missing field(s) cite"),
    ('{cite: "A", open: "arXiv:1901.05555v1", url: "https://x.org"}', "unknown field(s) url"),
    ('{cite: "", open: "arXiv:1901.05555v1"}', "'cite' must be a non-empty string"),
    ('"arXiv:1901.05555v1"', "must be a mapping"),
])
def test_bad_source_names_file_source_and_field(write_published, entry_yaml, spec, hint):
    msg = _error(write_published, entry_yaml(), sources={"paper": spec})
    assert "cdb.yaml: source 'paper'" in msg and hint in msg


def test_source_key_form_and_use_are_checked(write_published, entry_yaml):
    ok = '{cite: "A", open: "arXiv:1901.05555v1"}'
    assert "[a-z0-9_-]+" in _error(write_published, entry_yaml(source="Paper"), sources={"Paper": ok})
    msg = _error(write_published, entry_yaml(), sources={"paper": ok, "zoo": ok})
    assert "source(s) zoo named by no entry" in msg


@pytest.mark.parametrize("text,kind,href", [
    ("arXiv:1901.05555v1", "arxiv", "https://arxiv.org/abs/1901.05555v1"),
    ("wutong16/DistributionBalancedLoss@14460d0acda6a3e77a8a6a5999b9746243cb1535:README.md", "github",
     "https://github.com/wutong16/DistributionBalancedLoss/blob/14460d0acda6a3e77a8a6a5999b9746243cb1535/README.md"),
    ("open-mmlab/mmdetection@7e33fc52d4eae0900a18ccee79367b36e9ffff92:configs/seesaw_loss/README.md", "github",
     "https://github.com/open-mmlab/mmdetection/blob/7e33fc52d4eae0900a18ccee79367b36e9ffff92/"
     "configs/seesaw_loss/README.md"),
    ("https://paperswithcode2.com/paper/167710", "url", "https://paperswithcode2.com/paper/167710"),
])
def test_openable_forms_and_their_links(text, kind, href):
    assert kind_of(text) == kind and href_of(text) == href


def test_entry_must_be_a_mapping(write_published):
    assert "entry 0: an entry must be a mapping" in _error(write_published, "- just a string\n")


def test_repository_files_are_valid():
    """Every configs/published/*.yaml of this repository passes the schema; every entry names an openable
    source and its cell; a number not verified against its source says why."""
    found = load_all(REPO / "configs" / "published")
    assert {"cb", "eql", "seesaw", "db", "cdb"} <= set(found)
    assert "demo" not in found  # no published MNIST numbers were found
    for slug, entries in found.items():
        for e in entries:
            assert e.source.kind in ("arxiv", "github", "url") and e.source.href.startswith("https://")
            assert len(e.cell) > 15, (slug, e.index)
            assert e.exp is None or e.key
            assert e.verified or e.note, (slug, e.index)
    papers = {slug: {e.source.open for e in entries if e.source.key == "paper"} for slug, entries in found.items()}
    assert papers["cb"] == {"arXiv:1901.05555v1"} and papers["eql"] == {"arXiv:2003.05176v2"}
    assert papers["seesaw"] == {"arXiv:2008.10032v4"}
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
