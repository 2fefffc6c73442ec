"""The DB track end to end on the CPU: the VOC-MLT DB-Focal cell of configs/db/grid.yaml trained and tested
through lt_repro.train on a VOC-format fixture (its overrides as lt_repro.grid expands them for the workflow),
its metrics.json joined with configs/published/db.yaml. The grid's expansion: tests/test_grid.py."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lt_repro.data import mlt
from lt_repro.grid import experiments, load_grid

from .fixtures import write_db_appendix, write_jpeg, write_voc_xml

pytest.importorskip("mmdet")
REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow  # trains through lt_repro.train

# the subprocess pins the fixture's appendix digests (the real ones are the official files'), then trains
PINNED_TRAIN = """
import hashlib, sys
from pathlib import Path
from lt_repro.data import mlt
from lt_repro.data.download import Remote
folder = Path(sys.argv[1]) / mlt.APPENDIX_DIR["voc-mlt"]
mlt.APPENDIX["voc-mlt"] = {n: Remote(r.url, n, sha256=hashlib.sha256((folder / n).read_bytes()).hexdigest())
                          for n, r in mlt.APPENDIX["voc-mlt"].items()}
from lt_repro.train import main
sys.exit(main(sys.argv[2:]))
"""


def write_voc_mlt_fixture(root: Path, n_train: int = 10, n_test: int = 6) -> Path:
    """VOC layout where every class has some but not all training images (as DB's loss needs):
    train image i holds classes i, i + 10 (mod 20) and, for even i, class 19 - i."""
    names, rows = mlt.VOC_CLASSES, []
    ids = [f"2008_{i:06d}" for i in range(n_train)]
    for i, img in enumerate(ids):
        classes = sorted({i % 20, (i + 10) % 20, *((19 - i,) if i % 2 == 0 else ())})
        write_voc_xml(root / "VOCdevkit/VOC2012/Annotations" / f"{img}.xml", 48, 40, [(names[c], 0) for c in classes])
        write_jpeg(root / "VOCdevkit/VOC2012/JPEGImages" / f"{img}.jpg", size=(48, 40), value=10 + 20 * i)
        rows.append([int(c in classes) for c in range(20)])
    test = [f"{i:06d}" for i in range(1, n_test + 1)]
    for i, img in enumerate(test):
        write_voc_xml(root / "VOCdevkit/VOC2007/Annotations" / f"{img}.xml", 40, 40, [(names[3 * i % 20], 0)])
        write_jpeg(root / "VOCdevkit/VOC2007/JPEGImages" / f"{img}.jpg", size=(40, 40), value=30 * i)
    (root / "VOCdevkit/VOC2007/ImageSets/Main").mkdir(parents=True)
    (root / "VOCdevkit/VOC2007/ImageSets/Main/test.txt").write_text("".join(f"{t}\n" for t in test))
    write_db_appendix(root / "longtail2012", ids, rows, {"head": [0, 10], "middle": [1, 11, 19],
                                                         "tail": [c for c in range(20) if c not in (0, 10, 1, 11, 19)]},
                      "img_id.txt")
    return root


def test_voc_mlt_db_focal_cell_trains_tests_and_joins_db_table(tmp_path):
    root = write_voc_mlt_fixture(tmp_path / "voc")
    split = tmp_path / "voc-mlt.split.json"
    split.write_text(json.dumps(mlt.split("voc-mlt", root, check=False)))
    cell = next(e for e in experiments(load_grid(REPO / "configs/db/grid.yaml"), slug="db")
                if e.name == "voc-mlt_db-focal")
    sets = {f"{p}_dataloader.{k}": v for p in ("train", "test") for k, v in (
        ("num_workers", 0), ("dataset.root", str(root)), ("dataset.split_file", str(split)),
        ("dataset.source", "voc-mlt"), ("dataset.image_size", 64))}
    sets.update({**{k: v for k, v in cell.overrides.items() if not k.endswith((".split_file", ".root"))},
                 "model.backbone.weights": None,  # no download in tests: random init, same architecture
                 "train_cfg.max_epochs": 1, "env_cfg.dist_cfg.backend": "gloo", "env_cfg.cudnn_benchmark": False})
    args = [str(REPO / cell.config), "--work-dir", str(tmp_path / "w"), "--out-dir", str(tmp_path / "o"),
            "--seed", "0", "--slug", "db", "--exp", "voc-mlt_db-focal", "--threads", "1", "--no-progress",
            "--set", *[f"{k}={v!r}" for k, v in sets.items()]]
    res = subprocess.run([sys.executable, "-c", PINNED_TRAIN, str(root), *args], cwd=REPO, capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    m = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert m["num_samples"] == 6 and len(m["per_class_AP_pct"]) == 20
    # test image i holds class 3i mod 20: classes 0 (head), 3, 6, 9, 12, 15 (tail); the rest have no positive
    aps = [m["per_class_AP_pct"][c] for c in (0, 3, 6, 9, 12, 15)]
    assert all(0 < ap <= 100 for ap in aps) and sum(ap is not None for ap in m["per_class_AP_pct"]) == 6
    assert m["mAP_pct"] == pytest.approx(sum(aps) / 6, abs=1e-5) and m["head_mAP_pct"] == aps[0]
    assert m["medium_mAP_pct"] is None and m["tail_mAP_pct"] == pytest.approx(sum(aps[1:]) / 5, abs=1e-5)
    record = json.loads((tmp_path / "o" / "record.json").read_text())
    loss = record["config"]["model"]["loss"]
    assert (loss["type"], loss["mu"], loss["lambda_"], loss["train_num"]) == (
        "LTDistributionBalancedLoss", 0.3, 5.0, 10)
    assert loss["class_freq"] == json.loads(split.read_text())["train_counts"]

    from tests.report.in_comparison import compare_run

    rows, page = compare_run(tmp_path / "o", "db", "voc-mlt_db-focal", tmp_path / "cmp")
    ours = {r["metric"]: r for r in rows if r["dataset"] == "VOC-MLT"}
    assert set(ours) == {"mAP", "head mAP", "medium mAP", "tail mAP"}
    assert float(ours["mAP"]["ours_mean"]) == pytest.approx(m["mAP_pct"], abs=1e-4)  # the TSV prints 4 decimals
    assert ours["mAP"]["verdict"] != "not run"
    assert float(ours["head mAP"]["ours_mean"]) == pytest.approx(m["head_mAP_pct"], abs=1e-4)
    assert all(r["verdict"] == "not run" for r in rows if r["dataset"] == "COCO-MLT")
    assert "../results/db/voc-mlt_db-focal/seed-0/metrics.json" in page
