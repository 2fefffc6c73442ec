# Seesaw Loss (Wang et al., CVPR 2021): LVIS v1 Mask / Cascade Mask R-CNN (mmdet 3.3.0 configs), with mmdet's
# cross-entropy baselines; ImageNet-LT classification, end to end and decoupled (configs/seesaw/cls_grid.yaml);
# and `seesaw_zoo`, which evaluates the released mmdet checkpoints of the same LVIS configs (no training).

register_grid("seesaw", "configs/seesaw/cls_grid.yaml", CLASSIFICATION_DATA)

# ---- LVIS v1: 3 models x {random, rfs} x {linear mask, normalised mask}, 24 epochs ----
SEESAW_MODELS = {  # exp model part -> (config model part, backbone, runtime in minutes for 24 epochs on 8 GPUs)
    "mask-rcnn-r50-fpn": ("mask-rcnn-r50-fpn", "R-50-FPN", 1800),
    "mask-rcnn-r101-fpn": ("mask-rcnn-r101-fpn", "R-101-FPN", 2400),
    "cascade-mask-rcnn-r101-fpn": ("cascade-mask-rcnn-r101-fpn", "R-101-FPN", 3000),
}
SEESAW_META = {"dataset": "LVIS v1", "loss": "seesaw", "p": 0.8, "q": 2.0, "tau": 20,
               # mmdet's configs (used here) test at score 1e-4 / 300 dets; the paper (sec. 4.1) says 1e-3
               "test_score_thr_paper": 1e-3, "test_score_thr_used": 1e-4}
SEESAW_LVIS = {  # (model, sampler, normalised mask) -> (exp, config)
    (m, s, n): (f"lvis-v1_{m}-2x_seesaw_{s}" + ("_normed-mask" if n else ""),
                f"configs/seesaw/{'seesaw-normed-mask' if n else 'seesaw'}_{SEESAW_MODELS[m][0]}_8xb2-24e_lvis-v1-{s}.py")
    for m in SEESAW_MODELS for s in ("random", "rfs") for n in (False, True)
}
for (_m, _s, _n), (_exp, _cfg) in SEESAW_LVIS.items():
    register(lt_grid.lvis_experiment(
        "seesaw", _exp, _cfg, version="v1", sampler=_s, data_root=DATA,
        meta={**SEESAW_META, "backbone": SEESAW_MODELS[_m][1], "model": _m, "sampler": _s, "normed_mask": _n},
        resources=lt_grid.Resources(**LVIS_JOB, runtime_min=SEESAW_MODELS[_m][2])),
        inputs={"config": _cfg, "images": COCO_MARKERS, **LVIS_ANNOTATIONS["v1"]})

# mmdet's LVIS v1 cross-entropy baselines (1x, RFS 1e-3), the zoo rows that seesaw.yaml compares with
for _d, _runtime in ((50, 900), (101, 1200)):
    _cfg = f"configs/seesaw/ce_mask-rcnn-r{_d}-fpn_8xb2-12e_lvis-v1-rfs.py"
    register(lt_grid.lvis_experiment(
        "seesaw", f"lvis-v1_mask-rcnn-r{_d}-fpn-1x_ce_rfs", _cfg, version="v1", sampler="rfs", data_root=DATA,
        meta={"dataset": "LVIS v1", "loss": "ce", "backbone": f"R-{_d}-FPN", "model": f"mask-rcnn-r{_d}-fpn",
              "sampler": "rfs", "normed_mask": False},
        resources=lt_grid.Resources(**LVIS_JOB, runtime_min=_runtime)),
        inputs={"config": _cfg, "images": COCO_MARKERS, **LVIS_ANNOTATIONS["v1"]})

# ---- released checkpoints (mmdet model zoo, configs/seesaw_loss/metafile.yml 'Weights'), evaluated only ----
ZOO = "https://download.openmmlab.com/mmdetection/v2.0/seesaw_loss/"
SEESAW_ZOO = {  # (model, sampler, normalised mask) of SEESAW_LVIS -> released file, trained with that config
    ("mask-rcnn-r50-fpn", "random", False): "mask_rcnn_r50_fpn_random_seesaw_loss_mstrain_2x_lvis_v1-a698dd3d.pth",
    ("mask-rcnn-r50-fpn", "random", True): "mask_rcnn_r50_fpn_random_seesaw_loss_normed_mask_mstrain_2x_lvis_v1-a1c11314.pth",
    ("mask-rcnn-r101-fpn", "random", False): "mask_rcnn_r101_fpn_random_seesaw_loss_mstrain_2x_lvis_v1-8e6e6dd5.pth",
    ("mask-rcnn-r101-fpn", "random", True): "mask_rcnn_r101_fpn_random_seesaw_loss_normed_mask_mstrain_2x_lvis_v1-a0b59c42.pth",
    ("mask-rcnn-r50-fpn", "rfs", False): "mask_rcnn_r50_fpn_sample1e-3_seesaw_loss_mstrain_2x_lvis_v1-392a804b.pth",
    ("mask-rcnn-r50-fpn", "rfs", True): "mask_rcnn_r50_fpn_sample1e-3_seesaw_loss_normed_mask_mstrain_2x_lvis_v1-cd0f6a12.pth",
    ("mask-rcnn-r101-fpn", "rfs", False): "mask_rcnn_r101_fpn_sample1e-3_seesaw_loss_mstrain_2x_lvis_v1-e68eb464.pth",
    ("mask-rcnn-r101-fpn", "rfs", True): "mask_rcnn_r101_fpn_sample1e-3_seesaw_loss_normed_mask_mstrain_2x_lvis_v1-1d817139.pth",
    ("cascade-mask-rcnn-r101-fpn", "random", False): "cascade_mask_rcnn_r101_fpn_random_seesaw_loss_mstrain_2x_lvis_v1-71e2215e.pth",
    ("cascade-mask-rcnn-r101-fpn", "random", True): "cascade_mask_rcnn_r101_fpn_random_seesaw_loss_normed_mask_mstrain_2x_lvis_v1-8b5a6745.pth",
    ("cascade-mask-rcnn-r101-fpn", "rfs", False): "cascade_mask_rcnn_r101_fpn_sample1e-3_seesaw_loss_mstrain_2x_lvis_v1-5d8ca2a4.pth",
    ("cascade-mask-rcnn-r101-fpn", "rfs", True): "cascade_mask_rcnn_r101_fpn_sample1e-3_seesaw_loss_normed_mask_mstrain_2x_lvis_v1-c8551505.pth",
}
SEESAW_ZOO_RUNS = []  # not inputs of the seesaw comparison: the `seesaw_zoo` target's
for (_m, _s, _n), _file in SEESAW_ZOO.items():
    _exp, _cfg = SEESAW_LVIS[(_m, _s, _n)]
    SEESAW_ZOO_RUNS += register(lt_grid.lvis_experiment(
        "seesaw", _exp.replace("_seesaw_", "_seesaw-zoo_"), _cfg, version="v1", sampler=_s, data_root=DATA,
        meta={**SEESAW_META, "backbone": SEESAW_MODELS[_m][1], "model": _m, "sampler": _s, "normed_mask": _n,
              "checkpoint_url": f"{ZOO}{_file}"},
        resources=lt_grid.Resources(**LVIS_JOB, runtime_min=180), weights=f"{DATA}/checkpoints/{_file}"),
        inputs={"config": _cfg, "images": COCO_MARKERS, **LVIS_ANNOTATIONS["v1"],
                "checkpoint": f"{DATA}/checkpoints/{_file}"}, report=False)


localrules:
    zoo_checkpoint,


rule zoo_checkpoint:
    output:
        f"{DATA}/checkpoints/{{name}}.pth",
    params:
        py=PY,
        url=lambda wc: f"{ZOO}{wc.name}.pth",
    log:
        f"{WORK}/logs/data/zoo_{{name}}.log",
    shell:
        # mmdet publishes the first 8 hex digits of each file's sha256 in its name; checked after download
        "{params.py} -m lt_repro.data.zoo {params.url} {output} > {log} 2>&1"


rule seesaw_zoo:
    input:
        SEESAW_ZOO_RUNS,


rule seesaw:
    input:
        paper_target("seesaw"),
