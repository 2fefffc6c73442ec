"""The EGTEA video track end to end on the CPU: the cell egtea_r3d-x101_cdb-ce of configs/cdb/grid-egtea.yaml (its
overrides as lt_repro.grid expands them) trained for 2 iterations and tested through lt_repro.train on real video
clips written here (frames extracted with OpenCV, the official list format), with a reduced ResNeXt3D loaded from a
checkpoint in kenshohara's layout; its metrics.json joins the EGTEA rows of configs/published/cdb.yaml on the CDB
page. The grid's cells and their losses: built with the real EGTEA training counts."""
import json
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

import pytest
import torch

from lt_repro.data import egtea
from lt_repro.grid import experiments, load_grid
from tests.data.egtea_fixtures import TEST, TRAIN, VAL, write_clips, write_lists

pytest.importorskip("mmdet")
pytest.importorskip("cv2")
REPO = Path(__file__).resolve().parents[2]
GRID = REPO / "configs/cdb/grid-egtea.yaml"
EGTEA_COUNTS = [429, 779, 1421, 822, 129, 1335, 130, 308, 223, 249, 54, 54, 139, 42, 78, 117, 26, 15, 22]

# the subprocess pins the fixture lists' digests (the real ones are the official files'), then trains
PINNED_TRAIN = """
import hashlib, sys
from pathlib import Path
from lt_repro.data import egtea
from lt_repro.data.download import Remote
root = Path(sys.argv[1])
egtea.LISTS = {n: Remote(r.url, r.filename, sha256=hashlib.sha256((root / r.filename).read_bytes()).hexdigest())
               for n, r in egtea.LISTS.items()}
from lt_repro.train import main
sys.exit(main(sys.argv[2:]))
"""
SMALL = dict(type="ResNeXt3D", layers=[1, 1, 1, 1], cardinality=2, planes=[32, 32, 32, 32], stem_channels=8,
             sample_size=32, sample_duration=4)


def test_grid_has_the_official_losses_and_both_taus():
    cells = {e.name: e for e in experiments(load_grid(GRID), slug="cdb")}
    assert sorted(cells) == sorted(f"egtea_r3d-x101_{loss}" for loss in (
        "ce", "focal", "cb-softmax", "cb-focal", "eql", "cdb-ce", "cdb-ce-dynamic"))
    for name, e in cells.items():
        assert e.split.source == "egtea" and e.split.root == "data/egtea" and e.resources.gpu == 2
        hooks = [h["type"] for h in e.overrides.get("custom_hooks", [{"type": "CDBDifficultyHook"}])]
        assert ("CDBDifficultyHook" in hooks) == ("cdb-ce" in name), name
    assert "model.loss" not in cells["egtea_r3d-x101_cdb-ce"].overrides          # the config's: tau 1.5
    assert cells["egtea_r3d-x101_cdb-ce-dynamic"].overrides["model.loss"]["tau"] == "dynamic"


def test_every_cell_builds_its_loss_with_the_egtea_counts():
    from mmengine.config import Config

    import lt_repro.mm  # noqa: F401
    from lt_repro.mm.registry import MODELS
    from lt_repro.train import parse_set

    cfg = Config.fromfile(str(REPO / "configs/cdb/resnext3d-101_2xb8-100e_egtea.py"))
    freq = [c / sum(EGTEA_COUNTS) for c in EGTEA_COUNTS]
    logits, labels = torch.randn(16, 19), torch.arange(16) % 19
    for e in experiments(load_grid(GRID), slug="cdb"):
        spec = parse_set([f"model.loss={e.overrides.get('model.loss', cfg.model.loss)!r}"])["model.loss"]
        spec = {k: EGTEA_COUNTS if v == "${train_counts}" else freq if v == "${train_freq}" else v
                for k, v in dict(spec).items()}
        loss = MODELS.build(spec)(logits, labels)
        assert loss.shape == () and torch.isfinite(loss), e.name
    rare = MODELS.build(dict(type="LTBatchSwitchedEQLLoss", class_frequency=freq, lambda_=0.03)).rare
    assert rare.tolist() == [c < 0.03 * sum(EGTEA_COUNTS) for c in EGTEA_COUNTS]   # 11 rare verbs


def kinetics_style_checkpoint(path: Path) -> dict:
    """The reduced network's parameters saved as kenshohara's release: {'state_dict': module.* + fc (400)}."""
    from lt_repro.models import ResNeXt3D

    torch.manual_seed(5)
    net = ResNeXt3D(**{k: v for k, v in SMALL.items() if k != "type"})
    state = OrderedDict((f"module.{k}", v) for k, v in net.state_dict().items() if "num_batches" not in k)
    state["module.fc.weight"], state["module.fc.bias"] = torch.randn(400, 64), torch.randn(400)
    torch.save({"epoch": 200, "arch": "resnext-101", "state_dict": state}, path)
    return state


@pytest.mark.slow
def test_cdb_ce_cell_trains_two_iterations_tests_and_joins_the_cdb_page(tmp_path):
    root = write_lists(tmp_path / "egtea")
    write_clips(root, TRAIN + VAL + TEST, n=10, size=(48, 40))
    for part in ("train", "val", "test"):
        egtea.extract_frames(root, part, check=False)
    split = tmp_path / "egtea.split.json"
    split.write_text(json.dumps(egtea.split(root, check=False)))
    ckpt = tmp_path / "resnext-101-kinetics.pth"
    state = kinetics_style_checkpoint(ckpt)

    cell = next(e for e in experiments(load_grid(GRID), slug="cdb") if e.name == "egtea_r3d-x101_cdb-ce")
    sets = {k: v for k, v in cell.overrides.items() if not k.endswith((".split_file", ".root"))}
    for part in ("train", "val", "test"):
        sets.update({f"{part}_dataloader.num_workers": 0, f"{part}_dataloader.batch_size": 2,
                     f"{part}_dataloader.dataset.root": str(root), f"{part}_dataloader.dataset.split_file": str(split),
                     f"{part}_dataloader.dataset.segments": 4, f"{part}_dataloader.dataset.crop_size": 40,
                     f"{part}_dataloader.dataset.size": 32})
    sets.update({"model.backbone": {**SMALL, "pretrained": str(ckpt)}, "train_cfg.max_epochs": 1,
                 "env_cfg.dist_cfg.backend": "gloo", "env_cfg.cudnn_benchmark": False})
    work, out = tmp_path / "w", tmp_path / "o"
    args = [str(REPO / cell.config), "--work-dir", str(work), "--out-dir", str(out), "--seed", "0", "--slug", "cdb",
            "--exp", cell.name, "--meta", json.dumps(cell.meta), "--threads", "1", "--no-progress",
            "--set", *[f"{k}={v!r}" for k, v in sets.items()]]
    res = subprocess.run([sys.executable, "-c", PINNED_TRAIN, str(root), *args], cwd=REPO, capture_output=True,
                         text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]

    m = json.loads((out / "metrics.json").read_text())
    assert m["num_samples"] == 2 and m["best_val/num_samples"] == 2 and m["best_val/checkpoint"].startswith("best_")
    for key in ("mean_class_precision_pct", "mean_class_recall_pct", "majority_precision_pct",
                "minority_recall_pct", "top1_acc_pct", "mean_class_acc_pct"):
        assert key in m and f"best_val/{key}" in m, key
    assert len(m["per_class_precision_pct"]) == 19 and (m["majority_num_classes"], m["minority_num_classes"]) == (0, 19)
    # 2 iterations: 4 training clips in batches of 2, one epoch; the CDB difficulty was set after validation
    log = [json.loads(line) for line in (work / "cdb_difficulty.rank0.jsonl").read_text().splitlines()]
    assert len(log) == 1 and len(log[0]["difficulty"]) == 19
    from lt_repro.mm.compat import own_checkpoint_globals
    from lt_repro.train import resume_point

    assert resume_point(work)["iter"] == 2
    with own_checkpoint_globals():
        trained = torch.load(work / "epoch_1.pth", map_location="cpu", weights_only=True)["state_dict"]
    # the backbone started from the Kinetics-layout checkpoint: 2 SGD steps at lr 0.001 move it only a little
    # (another random initialisation would differ by about the weights' own size)
    for key in ("conv1.weight", "layer4.0.conv3.weight", "layer2.0.downsample.0.weight"):
        moved = (trained[f"backbone.{key}"] - state[f"module.{key}"]).abs().mean()
        assert moved < 0.05 * state[f"module.{key}"].abs().mean(), key
    record = json.loads((out / "record.json").read_text())
    assert record["config"]["model"]["loss"]["tau"] == 1.5 and record["config"]["model"]["backbone"]["pretrained"]
    assert record["train_count_per_class"] == json.loads(split.read_text())["train_counts"]

    from tests.report.in_comparison import compare_run

    rows, page = compare_run(out, "cdb", cell.name, tmp_path / "cmp")
    ours = {r["metric"]: r for r in rows if r["dataset"].startswith("EGTEA")}
    assert len(ours) == 2 and all(r["verdict"] != "not run" for r in ours.values())
    ap = next(r for k, r in ours.items() if "precision" in k)
    ar = next(r for k, r in ours.items() if "recall" in k)
    assert float(ap["ours_mean"]) == pytest.approx(m["best_val/mean_class_precision_pct"], abs=1e-4)
    assert float(ar["ours_mean"]) == pytest.approx(m["best_val/mean_class_recall_pct"], abs=1e-4)
    assert f"../results/cdb/{cell.name}/seed-0/metrics.json" in page
