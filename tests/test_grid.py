"""lt_repro.grid: schema validation (with "did you mean"), grid expansion, and the commands the train rule runs.
The real grids are expanded here as the workflow expands them; small grids written by the tests pin the rules
(override order, decoupled cells, name clashes)."""
import json
import shlex
from pathlib import Path

import pytest
import yaml

from lt_repro import grid as g

REPO = Path(__file__).resolve().parents[1]
GRIDS = sorted(p.relative_to(REPO).as_posix() for p in
               [*REPO.glob("configs/*/grid*.yaml"), *REPO.glob("configs/*/cls_grid.yaml")]
               if p.parent.name != "demo")


def expand(path, slug):
    return {e.name: e for e in g.experiments(g.load_grid(REPO / path), slug=slug)}


def write(tmp_path, grid, name="grid.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(grid, sort_keys=False))
    return path


def small_grid(**extra):
    return {"config": "c.py", "datasets": {"d1": {"source": "cifar10", "rho": 10, "protocol": "cui2019",
                                                  "overrides": {"a": 1, "b": 1}}},
            "losses": {"ce": {"b": 2, "c": 2}, "focal": {"model.loss": {"type": "F"}}}, **extra}


# ---- the schemas ----

@pytest.mark.parametrize("path", GRIDS)
def test_every_grid_loads_and_expands(path):
    cells = g.experiments(g.load_grid(REPO / path), slug=Path(path).parent.name)
    assert cells and all(c.split.path.endswith(f"/{c.split.dataset}.split.json") for c in cells)


def test_demo_grid_and_workflow_config_fit_their_schemas():
    g.load_demo_grid(REPO / "configs/demo/grid.yaml")
    cfg = yaml.safe_load((REPO / "configs/workflow.yaml").read_text())
    g.validate(cfg, g.SCHEMAS / "workflow.schema.yaml", "configs/workflow.yaml")
    # `--config demo={...}` gives nested values as strings (Snakemake parses them with YAML's BaseLoader)
    g.validate({**cfg, "demo": {"grid": "g.yaml", "seeds": ["0", "1"]}}, g.SCHEMAS / "workflow.schema.yaml", "x")
    with pytest.raises(g.ConfigError, match="demo.seeds.0"):
        g.validate({**cfg, "demo": {"grid": "g.yaml", "seeds": ["zero"]}}, g.SCHEMAS / "workflow.schema.yaml", "x")


@pytest.mark.parametrize("where,typo,right", [
    ((), "overides", "overrides"),
    (("datasets", "d1"), "loss_overides", "loss_overrides"),
    (("datasets", "d1"), "overides", "overrides"),
    (("datasets", "d1", "resources"), "gpus", "gpu"),
    ((), "backbons", "backbones"),
])
def test_misspelled_key_names_file_key_and_suggestion(tmp_path, where, typo, right):
    grid = small_grid()
    node = grid
    for key in where:
        node = node.setdefault(key, {})
    node[typo] = {}
    path = write(tmp_path, grid)
    with pytest.raises(g.ConfigError) as e:
        g.load_grid(path)
    msg = str(e.value)
    assert str(path) in msg and f"unknown key '{typo}'" in msg and f"did you mean '{right}'?" in msg
    assert (f"under '{'.'.join(where)}'" if where else "at the top level") in msg


def test_misspelled_decoupled_key_and_workflow_key(tmp_path):
    grid = small_grid(decoupled={"config": "s2.py", "checkpoint": "epoch_1.pth", "cels": {"d1": ["ce"]}})
    with pytest.raises(g.ConfigError, match=r"under 'decoupled'; did you mean 'cells'\?|'cells' is a required"):
        g.load_grid(write(tmp_path, grid))
    cfg = {**yaml.safe_load((REPO / "configs/workflow.yaml").read_text()), "dat_root": "x"}
    with pytest.raises(g.ConfigError, match="unknown key 'dat_root' at the top level; did you mean 'data_root'"):
        g.validate(cfg, g.SCHEMAS / "workflow.schema.yaml", "configs/workflow.yaml")


def test_override_maps_are_free_form_but_keys_are_dotted_names(tmp_path):
    grid = small_grid()
    grid["losses"]["ce"] = {"model.loss": {"anything": [1, {"nested": None}]}, "custom_hooks": []}
    g.load_grid(write(tmp_path, grid))
    grid["losses"]["ce"] = {"model loss": 1}
    with pytest.raises(g.ConfigError, match="not a valid name"):
        g.load_grid(write(tmp_path, grid))


@pytest.mark.parametrize("change,message", [
    (lambda d: d["datasets"]["d1"].update(losses=["ce", "fcal"]), "names 'fcal'.*did you mean 'focal'"),
    (lambda d: d["datasets"]["d1"].update(loss_overrides={"cel": {}}), "loss_overrides names 'cel'"),
    (lambda d: d["datasets"]["d1"].update(source="cifar1000"), "source names 'cifar1000'"),
    (lambda d: d.update(exp="{dataset}_{los}"), "exp pattern"),
    (lambda d: d.update(exp="{dataset}"), "same name to several cells"),
    (lambda d: d["datasets"]["d1"].pop("source"), "'source' is a required property"),
    (lambda d: d["datasets"].update({"d_2": {"source": "cifar10"}}), "not a valid name"),
])
def test_undefined_references_are_errors(tmp_path, change, message):
    grid = small_grid()
    change(grid)
    with pytest.raises(g.ConfigError, match=message):
        g.experiments(g.load_grid(write(tmp_path, grid)), slug="x")


# ---- expansion ----

def test_overrides_apply_in_order_data_grid_dataset_backbone_loss_loss_overrides(tmp_path):
    grid = small_grid(overrides={"a": 0, "z": 0}, backbones={"r50": {"b": 3, "c": 3}},
                      parts=["train", "val", "test"])
    grid["datasets"]["d1"]["loss_overrides"] = {"ce": {"c": 4}}
    cells = g.experiments(g.load_grid(write(tmp_path, grid)), slug="x", data_root="D")
    (exp,) = [e for e in cells if e.meta["loss"] == "ce"]
    split = "D/splits/x/d1.split.json"
    data = {f"{p}_dataloader.dataset.{k}": v for p in ("train", "val", "test")
            for k, v in (("split_file", split), ("root", "D/cifar"), ("source", "cifar10"))}
    assert exp.overrides == {**data, "a": 1, "z": 0, "b": 2, "c": 4}
    assert list(exp.overrides) == [*data, "a", "z", "b", "c"]  # --set order: where each key first appears
    assert exp.name == "d1_ce" and exp.meta == {"dataset": "d1", "loss": "ce", "imbalance_ratio": 10, "backbone": "r50"}
    assert exp.split == g.Split("d1", split, "cifar10", "D/cifar", "--rho 10 --protocol cui2019")


def test_dataset_settings_refine_the_grid(tmp_path):
    grid = small_grid(resources={"gpu": 1, "cpus_per_gpu": 4, "mem_mb": 100}, seeds=[3, 4])
    grid["datasets"]["d2"] = {"source": "imagenet-lt", "config": "big.py", "losses": ["focal"], "parts": ["test"],
                              "resources": {"gpu": 8, "runtime_min": 9}}
    cells = {e.name: e for e in g.experiments(g.load_grid(write(tmp_path, grid)), slug="x")}
    assert list(cells) == ["d1_ce", "d1_focal", "d2_focal"]
    assert cells["d1_ce"].resources == g.Resources(gpu=1, cpus_per_gpu=4, threads=4, mem_mb=100, runtime_min=240)
    assert cells["d2_focal"].resources == g.Resources(gpu=8, cpus_per_gpu=4, threads=32, mem_mb=100, runtime_min=9)
    assert cells["d2_focal"].config == "big.py" and cells["d1_ce"].config == "c.py"
    assert [k for k in cells["d2_focal"].overrides if "_dataloader." in k] == [
        "test_dataloader.dataset.split_file", "test_dataloader.dataset.root", "test_dataloader.dataset.source"]
    assert all(c.seeds == (3, 4) for c in cells.values())


@pytest.mark.parametrize("cells,stage1", [({"d1": ["ce", "focal"]}, {"ce": "ce", "focal": "focal"}),
                                          ({"d1": {"ce": {"from": "ce"}, "focal": {"from": "ce"}}},
                                           {"ce": "ce", "focal": "ce"})])
def test_decoupled_cells_name_their_stage1_run(tmp_path, cells, stage1):
    grid = small_grid(decoupled={"config": "s2.py", "checkpoint": "epoch_9.pth", "resources": {"runtime_min": 5},
                                 "cells": cells})
    exps = g.experiments(g.load_grid(write(tmp_path, grid)), slug="x")
    assert [e.name for e in exps] == ["d1_ce", "d1_focal", "d1_ce-decoupled", "d1_focal-decoupled"]
    for exp in exps[2:]:
        loss = exp.meta["loss"]
        assert exp.stage1 == f"d1_{stage1[loss]}" and exp.meta["stage1_exp"] == exp.stage1
        assert exp.config == "s2.py" and exp.checkpoint == "epoch_9.pth" and exp.resources.runtime_min == 5
        # the stage-2 loss is the cell's own loss, whatever stage 1 trained with
        assert {k: v for k, v in exp.overrides.items() if k in grid["losses"][loss]} == grid["losses"][loss]
        cmd = g.command(exp, 0, python="py", work_root="W", out_dir="O")
        assert cmd.endswith(f" --init-from W/x/d1_{stage1[loss]}/seed-0/epoch_9.pth")


def test_decoupled_cell_must_name_a_cell_of_its_dataset(tmp_path):
    grid = small_grid(decoupled={"config": "s2.py", "checkpoint": "e.pth", "cells": {"d1": {"ce": {"from": "cee"}}}})
    with pytest.raises(g.ConfigError, match=r"decoupled.cells.d1.ce.from names 'cee'.*did you mean 'ce'"):
        g.load_grid(write(tmp_path, grid))


# ---- the real grids (what the paper targets train) ----

def test_cb_grid():
    cells = {**expand("configs/cb/grid.yaml", "cb"), **expand("configs/cb/grid-imagenet-inat.yaml", "cb")}
    # CIFAR: 2 datasets x 5 rho x 8 losses + the balanced sets (rho = 1) x 5 plain losses; ILSVRC / iNat17 / iNat18
    # x ResNet-50/101/152 x 3 (softmax, CB focal at 224 px and at 320 px)
    assert len(cells) == 80 + 10 + 27 and len({c.split for c in cells.values()}) == 12 + 3
    plain = ("softmax", "sigmoid", "focal-g0.5", "focal", "focal-g2.0")
    assert {f"cifar{c}lt-r{r}_{l}" for c in (10, 100) for r in (200, 100, 50, 20, 10)
            for l in (*plain, "cb-softmax", "cb-sigmoid", "cb-focal")} <= set(cells)
    assert {k for k in cells if "-r1_" in k} == {f"cifar{c}lt-r1_{l}" for c in (10, 100) for l in plain}
    res = {k: c.resources for k, c in cells.items()}
    assert res["cifar10lt-r200_cb-focal"].gpu == 1 and res["cifar100lt-r10_softmax"].cpus_per_gpu == 4
    assert res["inat2018_resnet152_cb-focal"].gpu == 8 and res["ilsvrc2012_resnet50_softmax"].runtime_min >= 1440
    # the paper's per-column beta, gamma reach that cell only, after the loss entry
    ov = cells["cifar100lt-r20_cb-focal"].overrides
    assert ov["model.loss.beta"] == 0.99 and ov["model.loss.gamma"] == 0.5
    assert list(ov)[-2:] == ["model.loss.beta", "model.loss.gamma"]
    assert "model.loss.beta" not in cells["cifar100lt-r20_cb-sigmoid"].overrides
    assert cells["cifar100lt-r20_cb-sigmoid"].overrides["model.loss"]["beta"] == 0.9999
    ov = cells["inat2017_resnet101_cb-focal-320"].overrides
    assert ov["train_dataloader.dataset.image_size"] == ov["test_dataloader.dataset.image_size"] == 320
    assert cells["cifar10lt-r20_focal-g2.0"].overrides["model.loss"]["gamma"] == 2.0


def test_cdb_grid():
    cells = expand("configs/cdb/grid.yaml", "cdb")
    assert len(cells) == 5 * 2 + 2 and len({c.split for c in cells.values()}) == 6
    assert {"cifar100lt-r10_cdb-ce", "cifar100lt-r100_cdb-ce", "imagenetlt_r10_cdb-ce"} <= set(cells)
    assert all(c.resources.gpu == 1 for c in cells.values())


@pytest.mark.parametrize("path,slug,n,gpus", [("configs/eql/cls_grid.yaml", "eql", 4, {1, 8}),
                                              ("configs/seesaw/cls_grid.yaml", "seesaw", 4, {8})])
def test_eql_and_seesaw_classification_grids(path, slug, n, gpus):
    cells = expand(path, slug)
    assert len(cells) == n and {c.resources.gpu for c in cells.values()} == gpus


def test_seesaw_decoupled_cells_start_from_end_to_end_runs():
    grid = g.load_grid(REPO / "configs/seesaw/cls_grid.yaml")
    cells = {e.name: e for e in g.experiments(grid, slug="seesaw")}
    stage2 = [c for c in cells.values() if c.stage1]
    assert {c.name for c in stage2} == {"imagenetlt_x50_ce-decoupled", "imagenetlt_x50_seesaw-decoupled"}
    for c in stage2:
        assert c.stage1 in cells and not cells[c.stage1].stage1  # an end-to-end cell of the same grid
        assert c.config == "configs/seesaw/cls-decoupled_resnext50_1xb512-10e_imagenet-lt.py"
        assert c.overrides["model.loss"] == cells[c.name.removesuffix("-decoupled")].overrides["model.loss"]
        assert g.command(c, 0, python="py", work_root="W", out_dir="O").endswith(
            f"--init-from W/seesaw/{c.stage1}/seed-0/{grid.decoupled.checkpoint}")


def test_db_grid():
    cells = expand("configs/db/grid.yaml", "db")
    assert set(cells) == {f"{d}_{l}" for d in ("coco-mlt", "voc-mlt") for l in ("db-focal", "bce", "focal")}
    assert len({c.split for c in cells.values()}) == 2 and cells["voc-mlt_db-focal"].resources.gpu == 1
    ov = cells["voc-mlt_db-focal"].overrides
    assert (ov["model.loss.mu"], ov["model.loss.lambda_"]) == (0.3, 5.0)
    ov = cells["coco-mlt_db-focal"].overrides
    assert ov["model.loss.mu"] == 0.2 and ov["model.num_classes"] == 80
    assert "model.loss.mu" not in cells["coco-mlt_bce"].overrides


def test_demo_grid():
    grid = g.load_demo_grid(REPO / "configs/demo/grid.yaml")
    cells = g.demo_experiments(grid, data_root="D", seeds=[0, 1], threads=2)
    assert len(cells) == len(grid["losses"]) * len(grid["datasets"]) == 6 * 2
    assert all(c.overrides["record_nonfinite"] is True for c in cells)  # a diverged run is shown, not a failed job
    assert all(c.seeds == (0, 1) and c.resources == g.Resources(threads=2, mem_mb=3000, runtime_min=30) for c in cells)
    c = next(c for c in cells if c.name == "mnist-lt-r100_cdb")
    assert c.split.args == "--rho 100 --n-max 5000 --val-per-class 50"
    assert c.split.path == "D/demo/mnist-lt-r100.split.json"
    assert c.overrides["val_dataloader.dataset.split_file"] == c.split.path and "CDBDifficultyHook" in str(c.overrides)


# ---- commands ----

def parse(cmd):
    return shlex.split(cmd)


def test_single_process_command():
    exp = g.Experiment(slug="demo", name="d_ce", config="c.py", overrides={"a.b": 1, "s": "x"}, meta={"loss": "ce"},
                       resources=g.Resources())
    args = parse(g.command(exp, 3, python="/py", work_root="W", out_dir="R/demo/d_ce/seed-3", threads=2))
    assert args[:4] == ["/py", "-m", "lt_repro.train", "c.py"]
    opts = dict(zip(args[4::2], args[5::2]))
    assert opts == {"--work-dir": "W/demo/d_ce/seed-3", "--out-dir": "R/demo/d_ce/seed-3", "--seed": "3",
                    "--slug": "demo", "--exp": "d_ce", "--threads": "2", "--meta": '{"loss": "ce"}', "--set": "a.b=1"}
    assert args[-1] == "s='x'"  # values in Python literal syntax
    assert "--launcher" not in args and "torch.distributed.run" not in args


def test_multi_gpu_detection_command_runs_under_torchrun():
    exp = g.lvis_experiment("seesaw", "lvis-v1_m_seesaw_rfs", "cfg.py", version="v1", sampler="rfs", meta={"k": 1},
                            resources=g.Resources(gpu=8, cpus_per_gpu=4, threads=32), data_root="D",
                            weights="D/checkpoints/w.pth")
    cmd = g.command(exp, 0, python="py", work_root="W", out_dir="O")
    assert cmd.startswith("py -m torch.distributed.run --standalone --nproc-per-node 8 -m lt_repro.detect cfg.py ")
    args = parse(cmd)
    assert "--no-progress" in args and "--threads" not in args and "--init-from" not in args
    assert args[args.index("--launcher") + 1] == "pytorch"
    assert args[args.index("--eval-only") + 1] == "D/checkpoints/w.pth"
    assert json.loads(args[args.index("--meta") + 1]) == {"k": 1}
    sets = args[args.index("--set") + 1:]
    assert "train_dataloader.dataset.dataset.data_root='D/lvis_v1/'" in sets  # RFS wraps the train set
    assert "test_evaluator.ann_file='D/lvis_v1/annotations/lvis_v1_val.json'" in sets
    plain = g.lvis_overrides("v0.5", "D", wrapped=False)
    assert plain["train_dataloader.dataset.data_root"] == "D/lvis_v0.5/"


@pytest.mark.parametrize("minutes, attempt, limit, asked", [
    (3296, 1, None, 3296), (3296, 2, None, 6592),   # no site limit: runtime x attempt
    (3296, 1, 2880, 2880), (240, 2, 2880, 480),     # capped only where the request exceeds the limit
])
def test_runtime_request_grows_with_attempt_up_to_the_site_limit(minutes, attempt, limit, asked):
    assert g.runtime_request(minutes, attempt, limit) == asked
