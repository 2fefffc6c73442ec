"""Fidelity tables (configs/fidelity/<slug>.yaml, schema configs/fidelity/SCHEMA.md): every table validates,
every check equals the merged mmengine config, the validator's messages on small bad files, and the
'Deviations from the official code' section of the report."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from lt_repro.report import __main__ as cli
from lt_repro.report import fidelity
from lt_repro.report.fidelity import FidelityError
from lt_repro.report.html import SLUGS, fidelity_context, render_all

from ._fidelity_fixture import CB_CONFIG, CB_GRID, GITHUB_LINE, fidelity_table, write_table
from ._pages import Page

REPO = Path(__file__).resolve().parents[2]
FIDELITY = REPO / "configs" / "fidelity"
TABLES = sorted(FIDELITY.glob("*.yaml"))
PUBLISHED = REPO / "configs" / "published"


def _checks_of_tables() -> list:
    params = []
    for path in TABLES:
        try:
            table = fidelity.load_file(path)
        except FidelityError:
            continue  # test_table_validates shows the error
        params += [pytest.param(path, c, id=f"{path.stem}:{c.row_id}:{c.index}") for c in table.checks]
    return params


# --- the project's tables -------------------------------------------------------------------------------------

def test_every_paper_has_a_fidelity_table():
    assert sorted(p.stem for p in TABLES) == sorted(SLUGS)


@pytest.mark.parametrize("path", TABLES, ids=lambda p: p.stem)
def test_table_validates(path):
    table = fidelity.load_file(path)
    assert table.slug in SLUGS and table.rows
    assert all(p.url.startswith("https://") for r in table.rows for p in r.places)


@pytest.mark.parametrize(("path", "check"), _checks_of_tables())
def test_check_equals_the_merged_config(path, check):
    result = fidelity.evaluate_check(check, path.relative_to(REPO))
    assert result.ok, result.message


# --- the validator on small bad files -------------------------------------------------------------------------

def _row(data: dict, index: int, **changes) -> dict:
    data["rows"][index].update(changes)
    return data


def _load(tmp_path, data) -> fidelity.Table:
    return fidelity.load_file(write_table(tmp_path / "fidelity", data), repo=REPO)


def _raises(tmp_path, data, message: str):
    path = tmp_path / "fidelity" / "cb.yaml"
    with pytest.raises(FidelityError, match=re.escape(str(path)) + ".*" + message):
        _load(tmp_path, data)


def test_fixture_table_loads(tmp_path):
    table = _load(tmp_path, fidelity_table())
    assert [r.id for r in table.rows] == [r["id"] for r in fidelity_table()["rows"]]
    assert table.counts == {"rows": 3, "same": 1, "deviation": 1, "not-in-official": 1}
    assert [r.verdict for r in table.deviations] == ["deviation", "not-in-official"]
    nesterov = table.rows[1]
    assert [p.url for p in nesterov.places] == [GITHUB_LINE, "https://arxiv.org/abs/1901.05555v1"]


def test_unknown_field(tmp_path):
    _raises(tmp_path, _row(fidelity_table(), 1, verdit="same"),
            re.escape("row 1 (id='imagenet-inat.optimiser.nesterov'): unknown field(s) verdit"))
    _raises(tmp_path, fidelity_table(note="x"), re.escape("unknown field(s) note"))


def test_missing_why(tmp_path):
    data = fidelity_table()
    del data["rows"][2]["why"]
    _raises(tmp_path, data, re.escape("row 2 (id='imagenet-inat.eval.metric'): field 'why' is required when "
                                      "verdict is 'not-in-official'"))


def test_official_at_must_start_with_a_source_key(tmp_path):
    _raises(tmp_path, _row(fidelity_table(), 0, official_at="repo:tpu/run_inat2018.sh:14"),
            re.escape("row 0 (id='imagenet-inat.loss.gamma'): field 'official_at': 'repo:tpu/run_inat2018.sh:14' "
                      "does not start with a key of 'sources' (code, paper)"))
    _raises(tmp_path, _row(fidelity_table(), 1, official_at="code:tpu/run_inat2018.sh:14; resnet_main.py:300"),
            re.escape("'resnet_main.py:300' does not start with a key"))
    _raises(tmp_path, _row(fidelity_table(), 0, official_at="code:tpu/run_inat2018.sh line 14"),
            re.escape("a GitHub source needs 'path[:line]'"))


def test_sources_must_be_openable(tmp_path):
    data = fidelity_table(sources={"code": "richardaecn/class-balanced-loss@master", "paper": "arXiv:1901.05555"})
    _raises(tmp_path, data, re.escape("field 'sources': source 'code' is 'richardaecn/class-balanced-loss@master', "
                                      "which a reader cannot open"))
    data["sources"]["code"] = f"richardaecn/class-balanced-loss@{'f' * 40}"
    _raises(tmp_path, data, re.escape("source 'paper' is 'arXiv:1901.05555'"))  # no version


def test_ours_at_must_exist(tmp_path):
    _raises(tmp_path, _row(fidelity_table(), 0, ours_at="configs/cb/nope.yaml:3"),
            re.escape("row 0 (id='imagenet-inat.loss.gamma'): field 'ours_at': configs/cb/nope.yaml does not exist"))
    n_lines = len((REPO / CB_GRID).read_text().splitlines())
    _raises(tmp_path, _row(fidelity_table(), 0, ours_at=f"{CB_GRID}:{n_lines + 1}"),
            re.escape(f"line {n_lines + 1} is not within {CB_GRID} ({n_lines} lines)"))


def test_duplicate_id(tmp_path):
    _raises(tmp_path, _row(fidelity_table(), 2, id="imagenet-inat.loss.gamma"),
            re.escape("row 2 (id='imagenet-inat.loss.gamma'): field 'id' duplicates row 0"))


def test_bad_stage_verdict_and_id(tmp_path):
    _raises(tmp_path, _row(fidelity_table(), 0, stage="optimizer"), re.escape("field 'stage' must be one of"))
    _raises(tmp_path, _row(fidelity_table(), 0, verdict="mismatch"), re.escape("field 'verdict' must be one of"))
    _raises(tmp_path, _row(fidelity_table(), 0, id="LR"), re.escape("field 'id' must match [a-z0-9._-]+"))


def _cell_check(**changes) -> dict:
    return {"config": CB_CONFIG, "grid": CB_GRID, "cell": {"dataset": "inat2018", "backbone": "resnet50",
                                                           "loss": "cb-focal"},
            "key": "model.loss.gamma", "value": 0.5, **changes}


def test_bad_checks(tmp_path):
    _raises(tmp_path, _row(fidelity_table(), 0, checks=[_cell_check(cell={"dataset": "inat2018", "loss": "cb-focal"})]),
            re.escape("row 0 (id='imagenet-inat.loss.gamma'): check 0: field 'cell': cell {'dataset': 'inat2018', "
                      "'loss': 'cb-focal'} must name exactly the axes of"))
    _raises(tmp_path, _row(fidelity_table(), 0, checks=[_cell_check(cell={"dataset": "inat2019", "backbone": "resnet50",
                                                                          "loss": "cb-focal"})]),
            re.escape(f"{CB_GRID} has no cell {{'dataset': 'inat2019', 'backbone': 'resnet50', 'loss': 'cb-focal'}} "
                      f"with config {CB_CONFIG}; its cells there take dataset in ") + ".*inat2018")
    cifar = "configs/cb/resnet32_1xb128-200e_cifar-lt.py"
    _raises(tmp_path, _row(fidelity_table(), 0, checks=[_cell_check(config=cifar)]),
            re.escape("config configs/cb/resnet32_1xb128-200e_cifar-lt.py is not one of the configs of"))
    no_cell = _cell_check()
    del no_cell["cell"]
    _raises(tmp_path, _row(fidelity_table(), 0, checks=[no_cell]), re.escape("check 0: field 'cell' is missing"))
    _raises(tmp_path, _row(fidelity_table(), 0, checks=[_cell_check(value="1e-4")]),
            re.escape("check 0: field 'value': '1e-4' is a string to YAML"))
    _raises(tmp_path, _row(fidelity_table(), 0, checks=[_cell_check(kee="x")]),
            re.escape("check 0: unknown field(s) kee"))


def test_cli_validate(tmp_path, capsys):
    folder = write_table(tmp_path / "fidelity").parent
    assert cli.main(["validate", "--published", str(PUBLISHED), "--fidelity", str(folder)]) == 0
    assert ("cb: fidelity table OK, 3 rows (1 same, 1 deviation, 1 not-in-official), 0 checks, "
            "1 'same' rows of config stages without checks") in capsys.readouterr().out
    write_table(folder, _row(fidelity_table(), 1, why=""))
    assert cli.main(["validate", "--published", str(PUBLISHED), "--fidelity", str(folder)]) == 2
    assert "row 1 (id='imagenet-inat.optimiser.nesterov'): field 'why' is required" in capsys.readouterr().err


# --- checks: overrides, keys, comparison ----------------------------------------------------------------------

def test_resolve_key_and_values_equal():
    node = {"a": [{"b": 1}, {"b": (2, 3)}], "custom_keys": {"head.bias": {"decay_mult": 0.0}}}
    assert fidelity.resolve_key(node, "a.1.b.0") == 2
    assert fidelity.resolve_key(node, "custom_keys.head.bias.decay_mult") == 0.0
    with pytest.raises(KeyError, match=r"'c' is not in 'a.0' \(keys: b\)"):
        fidelity.resolve_key(node, "a.0.c")
    with pytest.raises(KeyError, match="'a' is a list of 2; '2' is not an index"):
        fidelity.resolve_key(node, "a.2")
    eq = fidelity.values_equal
    assert eq(1.6, 0.4 * 1024 / 256) and eq(1.6, 1.6 * (1 + 1e-12)) and not eq(1.6, 1.6 * (1 + 1e-8))
    assert eq(90, 90.0) and eq((30, 60, 80), [30, 60, 80]) and eq({"a": [1.0]}, {"a": (1,)})
    assert not eq(True, 1) and not eq(1, True) and not eq([1, 2], [1, 2, 3]) and not eq({"a": 1}, {"a": 1, "b": 2})
    assert not eq(0.0, 1e-12) and eq(None, None) and not eq("SGD", "sgd")
    assert fidelity._plain({"a": ({"_scope_": "mmdet", "b": 1},)}) == {"a": [{"b": 1}]}  # mmengine bookkeeping


def test_cell_overrides_follow_the_workflow_order():
    """A dataset's loss_overrides come after the loss's own values (lt_repro.grid, as the workflow applies them)."""
    grid = yaml.safe_load((REPO / "configs/cb/grid.yaml").read_text())
    dataset = next(d for d, s in grid["datasets"].items()
                   if "model.loss.gamma" in s.get("loss_overrides", {}).get("cb-focal", {}))
    spec = grid["datasets"][dataset]
    gamma = spec["loss_overrides"]["cb-focal"]["model.loss.gamma"]
    assert gamma != grid["losses"]["cb-focal"]["model.loss"].get("gamma")
    sets = fidelity.cell_overrides("configs/cb/grid.yaml", {"dataset": dataset, "loss": "cb-focal"}, grid["config"])
    assert sets["model.loss.gamma"] == gamma
    assert list(sets).index("model.loss") < list(sets).index("model.loss.gamma")
    assert sets["train_dataloader.dataset.split_file"] == f"data/splits/cb/{dataset}.split.json"
    assert sets["train_dataloader.dataset.source"] == spec["source"]


def test_decoupled_cells_are_told_apart_by_their_config():
    path = "configs/seesaw/cls_grid.yaml"
    grid = yaml.safe_load((REPO / path).read_text())
    dataset, cells = next(iter(grid["decoupled"]["cells"].items()))
    loss = next(iter(cells))
    stage1 = fidelity.cell_experiment(path, {"dataset": dataset, "loss": loss}, grid["config"])
    stage2 = fidelity.cell_experiment(path, {"dataset": dataset, "loss": loss}, grid["decoupled"]["config"])
    assert stage1.stage1 is None and stage2.stage1 is not None and stage2.name == f"{stage1.name}-decoupled"


@pytest.fixture(scope="module")
def cb_grid():
    return yaml.safe_load((REPO / CB_GRID).read_text())


def _check(**fields) -> fidelity.Check:
    return fidelity.Check(row_id="r", index=0, **fields)


def test_evaluate_check_applies_the_grid_cell(cb_grid):
    """The merged config carries the cell's loss (not the config's default) and the backbone of the cell."""
    cell = (("dataset", "inat2018"), ("backbone", "resnet101"), ("loss", "cb-focal"))
    loss = cb_grid["losses"]["cb-focal"]["model.loss"]
    plain = fidelity.evaluate_check(_check(config=CB_CONFIG, key="model.loss.type", value=loss["type"]))
    assert not plain.ok and "differs from" in plain.message  # the config alone has the default loss
    merged = _check(config=CB_CONFIG, grid=CB_GRID, cell=cell, key="model.loss.type", value=loss["type"])
    assert fidelity.evaluate_check(merged).ok
    for key, value in (("model.loss.gamma", loss["gamma"]), ("model.backbone.arch", "resnet101"),
                       ("model.num_classes", cb_grid["datasets"]["inat2018"]["overrides"]["model.num_classes"])):
        assert fidelity.evaluate_check(_check(config=CB_CONFIG, grid=CB_GRID, cell=cell, key=key, value=value)).ok
    bad = fidelity.evaluate_check(_check(config=CB_CONFIG, grid=CB_GRID, cell=cell, key="model.loss.gamma",
                                         value=loss["gamma"] * 1.01), "configs/fidelity/cb.yaml")
    assert not bad.ok and bad.actual == loss["gamma"]
    assert bad.message.startswith("configs/fidelity/cb.yaml: r check 0: model.loss.gamma of " + CB_CONFIG)


def test_evaluate_check_list_index_and_missing_key():
    from mmengine.config import Config

    cfg = Config.fromfile(str(REPO / CB_CONFIG))
    milestones = list(cfg.param_scheduler[1].milestones)
    assert fidelity.evaluate_check(_check(config=CB_CONFIG, key="param_scheduler.1.milestones", value=milestones)).ok
    missing = fidelity.evaluate_check(_check(config=CB_CONFIG, key="optim_wrapper.optimizer.no_such_key", value=1))
    assert not missing.ok and "'no_such_key' is not in 'optim_wrapper.optimizer' (keys: " in missing.message
    assert "lr" in missing.message.rsplit("(keys: ", 1)[1]


# --- the report section ---------------------------------------------------------------------------------------

def test_fidelity_context(tmp_path):
    path = write_table(tmp_path / "fidelity")
    out = tmp_path / "reports"
    ctx = fidelity_context(fidelity.load_file(path, REPO), path, out, REPO)
    assert ctx["counts"] == {"rows": 3, "same": 1, "deviation": 1, "not-in-official": 1}
    assert [r["id"] for r in ctx["rows"]] == ["imagenet-inat.optimiser.nesterov", "imagenet-inat.eval.metric"]
    nesterov = ctx["rows"][0]
    assert [link["href"] for link in nesterov["official_at"]] == [GITHUB_LINE, "https://arxiv.org/abs/1901.05555v1"]
    assert nesterov["why"] == "fixture: a deviation row" and nesterov["stage"] == "optimiser"
    ((ours,),) = [r["ours_at"] for r in ctx["rows"][:1]]
    assert ours["text"] == f"{CB_CONFIG}:2-3" and (out / ours["href"]).resolve() == (REPO / CB_CONFIG).resolve()
    assert (out / ctx["href"]).resolve() == path.resolve()
    none = fidelity_context(None, tmp_path / "fidelity" / "eql.yaml", out)
    assert none["counts"] is None and none["rows"] == [] and none["name"].endswith("fidelity/eql.yaml")


def test_paper_pages_show_the_deviations(tmp_path):
    folder = write_table(tmp_path / "fidelity").parent
    out = tmp_path / "reports"
    render_all(tmp_path / "no-results", PUBLISHED, out, fidelity_dir=folder)
    cb = " ".join((out / "cb.html").read_text().split())
    assert "Deviations from the official code" in cb
    assert "3 values of our recipe compared with the official code" in cb and "1 deviation" in cb
    page = Page(out / "cb.html")
    verdicts = [c["text"] for c in page.cells if "fid-status" in c["attrs"].get("class", "").split()]
    assert verdicts == ["deviation", "not-in-official"]  # the 'same' row is counted, not listed
    assert GITHUB_LINE in page.links and all(t.exists() for t in page.local_targets())
    cdb = (out / "cdb.html").read_text()
    assert "Deviations from the official code" in cdb and "No fidelity table for this paper yet" in cdb
    index = " ".join((out / "index.html").read_text().split())
    assert "recipe vs official code: 3 values, 1 same, 1 deviation, 1 not in the official code" in index
    assert index.count("no fidelity table") == len(SLUGS) - 1


def test_report_fails_on_an_invalid_table(tmp_path, capsys):
    folder = write_table(tmp_path / "fidelity", _row(fidelity_table(), 0, ours_at="nope.py")).parent
    assert cli.main(["html", "--results", str(tmp_path / "no-results"), "--published", str(PUBLISHED), "--out",
                     str(tmp_path / "r"), "--fidelity", str(folder)]) == 2
    assert "field 'ours_at': nope.py does not exist" in capsys.readouterr().err

