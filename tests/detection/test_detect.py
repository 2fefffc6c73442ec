"""lt_repro.detect end to end on a tiny LVIS fixture: a few real training iterations of each family
(ResNet-18, 96-px images), then real LVIS evaluation into metrics.json / record.json."""
import json

import pytest

from lt_repro.detect import flatten_lvis, image_count_frequency

KEYS = [f"{m}_{i}_pct" for m in ("bbox", "segm")
        for i in ("AP", "AP50", "AP75", "APs", "APm", "APl", "APr", "APc", "APf")]


def test_flatten_lvis_converts_to_percent_and_marks_missing_groups():
    raw = {f"lvis/{k[:-4]}": 0.25 for k in KEYS}
    raw["lvis/segm_APs"] = -1.0
    out = flatten_lvis(raw)
    assert out["segm_APr_pct"] == 25.0 and out["segm_APs_pct"] is None and set(out) == set(KEYS)
    with pytest.raises(RuntimeError, match="segm_APr_pct"):
        flatten_lvis({k: v for k, v in raw.items() if k != "lvis/segm_APr"})


def test_image_count_frequency_follows_category_order(lvis_v05, tmp_path):
    data = json.loads(lvis_v05["train"].read_text())
    freq = image_count_frequency(lvis_v05["train"])
    annotated = {a["image_id"] for a in data["annotations"]}
    assert freq == [c["image_count"] / len(annotated) for c in data["categories"]]
    assert freq[3] == 1 / 8  # the rare category is in one of the 8 training images
    # the official denominator counts only images with annotations
    data["images"].append(dict(data["images"][0], id=999))
    (tmp_path / "a.json").write_text(json.dumps(data))
    assert image_count_frequency(tmp_path / "a.json") == freq


def _assert_in_comparison(tmp, slug, exp, table, joined):
    """The run joins the published rows of ``table`` in comparison.tsv and on the paper's page."""
    from tests.report.in_comparison import compare_run

    metrics = json.loads((tmp / "out/metrics.json").read_text())
    rows, page = compare_run(tmp / "out", slug, exp, tmp / "cmp")
    ours = {r["metric"]: r for r in rows if r["n"] == "1"}
    assert set(ours) == set(joined), sorted(ours)
    for metric, key in joined.items():
        row = ours[metric]
        assert row["table"].startswith(table) and row["verdict"] != "not run"
        assert float(row["ours_mean"]) == metrics[key]
    assert f"../results/{slug}/{exp}/seed-0/metrics.json" in page


def _check_outputs(tmp, cfg_path, score_thr=1e-4):
    metrics = json.loads((tmp / "out/metrics.json").read_text())
    record = json.loads((tmp / "out/record.json").read_text())
    assert set(metrics) == set(KEYS)
    for key in ("segm_APr_pct", "segm_APc_pct", "segm_APf_pct", "segm_AP_pct", "bbox_AP_pct"):
        assert metrics[key] is not None and 0.0 <= metrics[key] <= 100.0
    ev = record["evaluation"]
    assert ev["metric"] == "LVISMetric" and ev["lvis_api_version"] == "0.5.3" and ev["max_dets_per_image"] == 300
    assert ev["test_score_thr"] == score_thr and ev["test_max_per_img"] == 30  # tiny config: 30 dets
    assert record["exp"] == "tiny_run" and record["config_sha256"]
    return metrics, record


@pytest.mark.slow
@pytest.mark.needs_ops
def test_mask_rcnn_seesaw_trains_and_evaluates(lvis_v1, tmp_path, make_tiny_config, detect):
    cfg = make_tiny_config("configs/seesaw/seesaw_mask-rcnn-r50-fpn_8xb2-24e_lvis-v1-random.py", lvis_v1,
                           tmp_path / "tiny.py")
    detect(cfg, tmp_path)
    metrics, record = _check_outputs(tmp_path, cfg)
    assert (tmp_path / "work/epoch_1.pth").exists() and (tmp_path / "work/last_checkpoint").exists()
    assert "class_frequency" not in record
    _assert_in_comparison(tmp_path, "seesaw", "lvis-v1_mask-rcnn-r50-fpn-2x_seesaw_random", "MMDetection model zoo",
                          {"mask AP": "segm_AP_pct", "box AP": "bbox_AP_pct"})
    # a rerun resumes from the last checkpoint (training already complete) and re-tests it
    detect(cfg, tmp_path)
    again = json.loads((tmp_path / "out/record.json").read_text())
    assert again["resumed_from"]["epoch"] == 1
    assert json.loads((tmp_path / "out/metrics.json").read_text()) == metrics
    # --eval-only (the model-zoo path): the weights alone, loaded with weights_only=True, give the same metrics
    import torch

    from lt_repro.mm.compat import own_checkpoint_globals

    with own_checkpoint_globals():  # our own run's file; a release holds only the weights (publish_model)
        state = torch.load(tmp_path / "work/epoch_1.pth", map_location="cpu", weights_only=True)["state_dict"]
    ckpt = tmp_path / "released-00000000.pth"
    torch.save({"state_dict": state, "meta": {"epoch": 1}}, ckpt)
    detect(cfg, tmp_path / "zoo", "--eval-only", str(ckpt))
    zoo_record = json.loads((tmp_path / "zoo/out/record.json").read_text())
    assert zoo_record["eval_only_checkpoint"] == str(ckpt) and zoo_record["resumed_from"] is None
    assert json.loads((tmp_path / "zoo/out/metrics.json").read_text()) == metrics


@pytest.mark.slow
@pytest.mark.needs_ops
def test_mask_rcnn_eql_trains_and_evaluates(lvis_v05, tmp_path, make_tiny_config, detect):
    # the paper variant (LVIS positive/negative-set rule, LTLVISV05Dataset + LTEQL heads); lambda 0.2
    # makes the category seen in 1 of 8 images (f = 0.125) rare, so EQL drops some of its negatives
    cfg = make_tiny_config("configs/eql/eql-paper_mask-rcnn-r50-fpn_8xb4-25e_lvis-v05-random.py", lvis_v05,
                           tmp_path / "tiny.py", eql_lambda=0.2)
    detect(cfg, tmp_path)
    _, record = _check_outputs(tmp_path, cfg, score_thr=0.0)  # paper sec. 4.2: score threshold 0
    assert record["class_frequency"]["values"] == image_count_frequency(lvis_v05["train"])
    loss = record["config"]["model"]["roi_head"]["bbox_head"]["loss_cls"]
    assert loss["type"] == "LTEqualizationLoss" and loss["class_frequency"][3] == 0.125 < loss["lambda_"]
    assert loss["use_image_level_sets"] is True
    _assert_in_comparison(tmp_path, "eql", "lvis-v05_mask-rcnn-r50-fpn-25e-paper_eql", "Table 1",
                          {"mask AP": "segm_AP_pct", "mask AP_r": "segm_APr_pct", "mask AP_c": "segm_APc_pct",
                           "mask AP_f": "segm_APf_pct", "box AP": "bbox_AP_pct"})


@pytest.mark.slow
@pytest.mark.needs_ops
def test_cascade_seesaw_trains_and_evaluates(lvis_v1, tmp_path, make_tiny_config, detect):
    cfg = make_tiny_config("configs/seesaw/seesaw-normed-mask_cascade-mask-rcnn-r101-fpn_8xb2-24e_lvis-v1-rfs.py",
                      lvis_v1, tmp_path / "tiny.py")
    detect(cfg, tmp_path)
    _, record = _check_outputs(tmp_path, cfg)
    assert record["config"]["train_dataloader"]["dataset"]["type"] == "ClassBalancedDataset"
