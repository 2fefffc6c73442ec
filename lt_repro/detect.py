"""Train (or only evaluate) one LVIS instance-segmentation experiment with mmdet; write metrics.json
and record.json.

  python -m lt_repro.detect configs/seesaw/seesaw_mask-rcnn-r50-fpn_8xb2-24e_lvis-v1-random.py \
      --work-dir work_dirs/seesaw/EXP/seed-0 --out-dir results/seesaw/EXP/seed-0 --seed 0 \
      [--set key=value ...] [--launcher pytorch] [--eval-only CHECKPOINT.pth]

Same command line as ``lt_repro.train`` (plus ``--eval-only``). The work dir holds checkpoints and
is never a Snakemake output: a rerun resumes from its ``last_checkpoint``. No validation runs during
training (LVIS val is the test set; no checkpoint is selected on it). After training the model is
tested once with mmdet's LVISMetric; its bbox/segm AP, AP50, AP75, APs/m/l, APr/c/f (fractions)
are written as percent, e.g. ``segm_APr_pct``. An AP that LVIS reports as -1 (no ground truth in
that group) is written as null. record.json also records the evaluator: lvis-api version, the
detections per image it keeps, and the test-time score threshold and detection cap of the model.

Config placeholder: the string ``'${lvis_image_frequency}'`` anywhere under ``model`` is replaced by
the per-category image-count frequency (``image_count`` / number of annotated images, as the
official EQL code) of the training annotation file, in the category order of mmdet's LVIS datasets
(the file's order, = label index).

``--eval-only`` loads released weights with ``torch.load(weights_only=True)`` (never unpickling
arbitrary objects) and only tests. Exit codes: 0 done, 2 bad config, 3 non-finite loss, 5 the stack
cannot run detection (mmcv without compiled ops, or without CUDA ops on a GPU), 143 preempted (a retry resumes).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from importlib import metadata
from pathlib import Path

from lt_repro.record import atomic_write_json, run_record
from lt_repro.train import checked_config, common_parser, setup_run, train_or_exit_code

FREQ_PLACEHOLDER = "${lvis_image_frequency}"
LVIS_ITEMS = ("AP", "AP50", "AP75", "APs", "APm", "APl", "APr", "APc", "APf")
LVIS_MAX_DETS = 300  # lvis-api LVISResults/LVISEval default, used unchanged by mmdet's LVISMetric


def build_parser() -> argparse.ArgumentParser:
    p = common_parser("python -m lt_repro.detect", __doc__, "mmdet config file (configs/seesaw/… or configs/eql/…)")
    p.add_argument("--eval-only", default=None, metavar="CHECKPOINT",
                   help="skip training; test these weights (loaded with weights_only=True)")
    return p


def innermost_dataset(ds_cfg):
    """The LVIS dataset inside wrappers such as ClassBalancedDataset."""
    while "dataset" in ds_cfg:
        ds_cfg = ds_cfg["dataset"]
    return ds_cfg


def train_annotation_file(cfg) -> Path:
    ds = innermost_dataset(cfg.train_dataloader.dataset)
    return Path(ds.get("data_root", "") or "") / ds["ann_file"]


def image_count_frequency(ann_file: Path) -> list[float]:
    """Per category: image_count / number of training images that have at least one annotation, in the
    file's category order (= mmdet's label order). The denominator is the official one
    (eql.detectron2 projects/EQL/eql/lvis_v0_5_categories.py, "all_image_count")."""
    data = json.loads(Path(ann_file).read_text())
    n_images = len({a["image_id"] for a in data["annotations"]})
    if n_images == 0:
        raise ValueError(f"{ann_file}: no annotated images; cannot compute category frequencies")
    freq = []
    for cat in data["categories"]:
        if "image_count" not in cat:
            raise KeyError(f"{ann_file}: category {cat.get('id')} has no 'image_count'; EQL needs LVIS "
                           f"annotations with per-category image counts (LVIS v0.5/v1 train files have them)")
        freq.append(cat["image_count"] / n_images)
    return freq


def has_placeholder(node) -> bool:
    if node == FREQ_PLACEHOLDER:
        return True
    if isinstance(node, dict):
        return any(has_placeholder(v) for v in node.values())
    if isinstance(node, (list, tuple)):
        return any(has_placeholder(v) for v in node)
    return False


def resolve_frequency(cfg) -> list[float] | None:
    """Replace '${lvis_image_frequency}' under ``model``; returns the frequencies or None if unused."""
    if not has_placeholder(cfg.model):
        return None
    freq = image_count_frequency(train_annotation_file(cfg))

    def walk(node):
        if node == FREQ_PLACEHOLDER:
            return freq
        if isinstance(node, dict):
            for k, v in node.items():
                node[k] = walk(v)
        elif isinstance(node, list):
            return [walk(v) for v in node]
        return node

    walk(cfg.model)
    return freq


def bbox_heads(cfg) -> list:
    heads = cfg.model.roi_head.bbox_head
    return list(heads) if isinstance(heads, (list, tuple)) else [heads]


def flatten_lvis(raw: dict) -> dict:
    """mmdet LVISMetric output ('lvis/segm_APr': 0.123) -> {'segm_APr_pct': 12.3}; -1 (no GT) -> None."""
    out = {}
    for key, value in raw.items():
        name = key.split("/", 1)[-1]
        metric, _, item = name.partition("_")
        if metric in ("bbox", "segm") and item in LVIS_ITEMS:
            value = float(value)
            out[f"{metric}_{item}_pct"] = None if value < 0 else round(100.0 * value, 4)
    missing = [f"{m}_{i}_pct" for m in ("bbox", "segm") for i in LVIS_ITEMS if f"{m}_{i}_pct" not in out]
    if missing:
        raise RuntimeError(f"LVISMetric returned no {missing} (got {sorted(raw)}); the test set may have "
                           f"produced no detections at all")
    return out


def evaluator_settings(cfg) -> dict:
    rcnn = cfg.model.test_cfg.rcnn
    evaluator = cfg.test_evaluator
    try:
        lvis_version = metadata.version("lvis")
    except metadata.PackageNotFoundError:
        lvis_version = None
    return {
        "metric": evaluator["type"], "ann_file": evaluator.get("ann_file"),
        "lvis_api_version": lvis_version, "mmdet_version": metadata.version("mmdet"),
        "max_dets_per_image": LVIS_MAX_DETS, "iou_thrs": "0.50:0.05:0.95",
        "test_score_thr": rcnn["score_thr"], "test_max_per_img": rcnn["max_per_img"],
        "test_nms_iou": rcnn["nms"]["iou_threshold"],
    }


def load_released_weights(runner, checkpoint: str) -> None:
    """Released checkpoint -> the runner's model, through the safe unpickler only."""
    import torch
    from mmengine.model import is_model_wrapper
    from mmengine.runner.checkpoint import load_state_dict

    ckpt = torch.load(checkpoint, map_location="cpu", weights_only=True)
    state = ckpt.get("state_dict", ckpt)
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    load_state_dict(model, state, strict=True, logger=runner.logger)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    start = time.time()

    def validate(cfg):
        from lt_repro.mm.config import check_constructor_args
        from mmdet.registry import MODELS

        freq = resolve_frequency(cfg)
        for i, head in enumerate(bbox_heads(cfg)):
            check_constructor_args(head.loss_cls, MODELS, f"{args.config}: model.roi_head.bbox_head[{i}].loss_cls")
        return freq

    cfg, freq, failed = checked_config(args, needs_ops=True, validate=validate)
    if failed is not None:
        return failed
    from lt_repro.mm.runner import AtomicCheckpointRunner
    resumed = setup_run(cfg, args, resume=not args.eval_only, progress=not args.eval_only)
    cfg.load_from = None
    # LVIS has no held-out validation split: the val set IS the test set. Evaluate it once, after
    # training, instead of mmengine's validation at the last epoch plus the test (twice the work).
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None

    runner = AtomicCheckpointRunner.from_cfg(cfg)
    if args.eval_only:
        load_released_weights(runner, args.eval_only)
    else:
        failed = train_or_exit_code(runner)
        if failed is not None:
            return failed
    metrics = flatten_lvis(runner.test())
    if runner.rank != 0:
        return 0
    out = Path(args.out_dir)
    meta = json.loads(args.meta)
    record = run_record(cfg, seed=args.seed, slug=args.slug, exp=args.exp, start=start,
                        resumed_from=resumed, **meta)
    record["evaluation"] = evaluator_settings(cfg)
    record["eval_only_checkpoint"] = args.eval_only
    if freq is not None:
        record["class_frequency"] = {
            "source": str(train_annotation_file(cfg)),
            "definition": "image_count / number of annotated training images (eql.detectron2)",
            "values": freq}
    atomic_write_json(out / "record.json", record)
    atomic_write_json(out / "metrics.json", metrics)
    print(f"wrote {out / 'metrics.json'}: segm AP {metrics['segm_AP_pct']}%, APr {metrics['segm_APr_pct']}%",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
