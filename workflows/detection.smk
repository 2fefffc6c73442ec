# LVIS instance segmentation (mmdet 3.3.0): the Seesaw grid on LVIS v1 and the EQL grid on LVIS v0.5.
# Every cell is one 8-GPU job: torchrun --nproc-per-node 8 -m lt_repro.detect CONFIG ... --launcher pytorch.
# Data (COCO 2017 images + LVIS annotations) are fetched by local rules, once. LVIS v0.5 has no published
# checksum (lt_repro/data/lvis.py): its download needs `--config allow_unverified_downloads=true`, or the
# two archives placed by hand under data/lvis_v0.5/archives/.
# `seesaw_zoo` evaluates the released mmdet checkpoints of the same configs (eval only, no training).

DET_GPUS = 8  # source: mmdet seesaw/lvis configs: 8 GPUs x 2 images = 16 images per batch
DET_CPUS_PER_GPU = 4  # our choice: 2 dataloader workers per GPU + the main process
COCO_MARKERS = [f"{DATA}/coco/.train2017.complete", f"{DATA}/coco/.val2017.complete"]


def lvis_inputs(version, config_file):
    return {"config": config_file, "images": COCO_MARKERS,
            "train_ann": f"{DATA}/lvis_{version}/annotations/lvis_{version}_train.json",
            "val_ann": f"{DATA}/lvis_{version}/annotations/lvis_{version}_val.json"}


def lvis_overrides(version, wrapped):
    """Point a config at DATA (the configs say data/lvis_<version>/ relative to the repository)."""
    root = f"{DATA}/lvis_{version}/"
    train = "train_dataloader.dataset.dataset" if wrapped else "train_dataloader.dataset"
    return {f"{train}.data_root": root, "val_dataloader.dataset.data_root": root,
            "test_dataloader.dataset.data_root": root,
            "val_evaluator.ann_file": f"{root}annotations/lvis_{version}_val.json",
            "test_evaluator.ann_file": f"{root}annotations/lvis_{version}_val.json"}


def detect_command(config_file, *, slug, overrides, meta, gpus=DET_GPUS, weights=None):
    """Shell command for lt_repro.detect under torchrun (one process per GPU)."""
    def command(wc, out_dir):
        work = run_dir(WORK, slug, wc.exp, wc.seed)
        launch = (f"{PY} -m torch.distributed.run --standalone --nproc-per-node {gpus} -m lt_repro.detect"
                  if gpus > 1 else f"{PY} -m lt_repro.detect")
        extra = " --launcher pytorch" if gpus > 1 else ""
        if weights:  # released weights: evaluate only
            extra += f" --eval-only {weights}"
        return (f"{launch} {config_file} --work-dir {work} --out-dir {out_dir} --seed {wc.seed} --slug {slug} "
                f"--exp {wc.exp} --no-progress --meta {shlex.quote(json.dumps(meta))}{extra} "
                f"--set {set_args(overrides)}")
    return command


# ---- Seesaw (Wang et al. 2021), LVIS v1: 3 models x {random, rfs} x {linear mask, normalised mask} ----
SEESAW_MODELS = {  # exp model part -> (config model part, backbone, runtime in minutes for 24 epochs on 8 GPUs)
    "mask-rcnn-r50-fpn": ("mask-rcnn-r50-fpn", "R-50-FPN", 1800),
    "mask-rcnn-r101-fpn": ("mask-rcnn-r101-fpn", "R-101-FPN", 2400),
    "cascade-mask-rcnn-r101-fpn": ("cascade-mask-rcnn-r101-fpn", "R-101-FPN", 3000),
}
SEESAW_META = {"dataset": "LVIS v1", "loss": "seesaw", "p": 0.8, "q": 2.0, "tau": 20,
               # mmdet's configs (used here) test at score 1e-4 / 300 dets; the paper (sec. 4.1) says 1e-3
               "test_score_thr_paper": 1e-3, "test_score_thr_used": 1e-4}


def seesaw_config(model, sampler, normed):
    loss = "seesaw-normed-mask" if normed else "seesaw"
    return f"configs/seesaw/{loss}_{SEESAW_MODELS[model][0]}_8xb2-24e_lvis-v1-{sampler}.py"


def seesaw_exp(model, sampler, normed):
    return f"lvis-v1_{model}-2x_seesaw_{sampler}" + ("_normed-mask" if normed else "")


def _seesaw_cell(model, sampler, normed):
    cfg = seesaw_config(model, sampler, normed)
    meta = {**SEESAW_META, "backbone": SEESAW_MODELS[model][1], "model": model, "sampler": sampler,
            "normed_mask": normed}
    return register(
        "seesaw", seesaw_exp(model, sampler, normed),
        command=detect_command(cfg, slug="seesaw", overrides=lvis_overrides("v1", sampler == "rfs"), meta=meta),
        inputs=lvis_inputs("v1", cfg),
        gpu=DET_GPUS, cpus_per_gpu=DET_CPUS_PER_GPU, threads=DET_GPUS * DET_CPUS_PER_GPU,
        mem_mb=160000, runtime_min=SEESAW_MODELS[model][2],
    )


SEESAW_DET_RUNS = [p for m in SEESAW_MODELS for s in ("random", "rfs") for n in (False, True)
                   for p in _seesaw_cell(m, s, n)]


def _ce_baseline_cell(depth):
    """mmdet's LVIS v1 cross-entropy baseline (1x, RFS 1e-3), the zoo row that seesaw.yaml compares with."""
    cfg = f"configs/seesaw/ce_mask-rcnn-r{depth}-fpn_8xb2-12e_lvis-v1-rfs.py"
    meta = {"dataset": "LVIS v1", "loss": "ce", "backbone": f"R-{depth}-FPN", "model": f"mask-rcnn-r{depth}-fpn",
            "sampler": "rfs", "normed_mask": False}
    return register(
        "seesaw", f"lvis-v1_mask-rcnn-r{depth}-fpn-1x_ce_rfs",
        command=detect_command(cfg, slug="seesaw", overrides=lvis_overrides("v1", True), meta=meta),
        inputs=lvis_inputs("v1", cfg),
        gpu=DET_GPUS, cpus_per_gpu=DET_CPUS_PER_GPU, threads=DET_GPUS * DET_CPUS_PER_GPU,
        mem_mb=160000, runtime_min=900 if depth == 50 else 1200,
    )


SEESAW_DET_RUNS += [p for d in (50, 101) for p in _ce_baseline_cell(d)]
PAPER_RUNS["seesaw"] += SEESAW_DET_RUNS


# ---- EQL (Tan et al. 2020), LVIS v0.5 ----
# official-code variant (eql.detectron2; the README numbers in configs/published/eql.yaml belong to it):
#   softmax CE, EQL, EQL + repeat-factor sampling; paper variant (sec. 4.2): softmax CE vs sigmoid vs EQL.
EQL_CELLS = {  # exp -> (config, loss, sampler, backbone)
    **{f"lvis-v05_mask-rcnn-r{d}-fpn-1x_{name}": (f"configs/eql/{loss}_mask-rcnn-r{d}-fpn_8xb2-90k_lvis-v05-{s}.py",
                                                   loss, s, f"R-{d}-FPN")
       for d in (50, 101) for name, loss, s in (("ce", "ce", "random"), ("eql", "eql", "random"),
                                                ("eql_rfs", "eql", "rfs"))},
    **{f"lvis-v05_mask-rcnn-r{d}-fpn-1x-paper_{loss}": (f"configs/eql/{loss}-paper_mask-rcnn-r{d}-fpn_8xb2-90k_lvis-v05-random.py",
                                                         loss, "random", f"R-{d}-FPN")
       for d in (50, 101) for loss in ("ce", "sigmoid", "eql")},
}


def _eql_cell(exp, cfg, loss, sampler, backbone):
    meta = {"dataset": "LVIS v0.5", "loss": loss, "sampler": sampler, "backbone": backbone,
            "variant": "paper" if "-paper" in exp else "official-code"}
    return register(
        "eql", exp,
        command=detect_command(cfg, slug="eql", overrides=lvis_overrides("v0.5", sampler == "rfs"), meta=meta),
        inputs=lvis_inputs("v0.5", cfg),
        gpu=DET_GPUS, cpus_per_gpu=DET_CPUS_PER_GPU, threads=DET_GPUS * DET_CPUS_PER_GPU,
        mem_mb=160000, runtime_min=900 if "r101" in exp else 720,
    )


EQL_DET_RUNS = [p for exp, spec in EQL_CELLS.items() for p in _eql_cell(exp, *spec)]
PAPER_RUNS["eql"] += EQL_DET_RUNS


# ---- released Seesaw checkpoints (mmdet model zoo, configs/seesaw_loss/metafile.yml), evaluated only ----
ZOO = "https://download.openmmlab.com/mmdetection/v2.0/seesaw_loss/"
SEESAW_ZOO_FILES = [  # released files (mmdet metafile.yml 'Weights'); their configs are the ones used here
    "mask_rcnn_r50_fpn_random_seesaw_loss_mstrain_2x_lvis_v1-a698dd3d.pth",
    "mask_rcnn_r50_fpn_random_seesaw_loss_normed_mask_mstrain_2x_lvis_v1-a1c11314.pth",
    "mask_rcnn_r101_fpn_random_seesaw_loss_mstrain_2x_lvis_v1-8e6e6dd5.pth",
    "mask_rcnn_r101_fpn_random_seesaw_loss_normed_mask_mstrain_2x_lvis_v1-a0b59c42.pth",
    "mask_rcnn_r50_fpn_sample1e-3_seesaw_loss_mstrain_2x_lvis_v1-392a804b.pth",
    "mask_rcnn_r50_fpn_sample1e-3_seesaw_loss_normed_mask_mstrain_2x_lvis_v1-cd0f6a12.pth",
    "mask_rcnn_r101_fpn_sample1e-3_seesaw_loss_mstrain_2x_lvis_v1-e68eb464.pth",
    "mask_rcnn_r101_fpn_sample1e-3_seesaw_loss_normed_mask_mstrain_2x_lvis_v1-1d817139.pth",
    "cascade_mask_rcnn_r101_fpn_random_seesaw_loss_mstrain_2x_lvis_v1-71e2215e.pth",
    "cascade_mask_rcnn_r101_fpn_random_seesaw_loss_normed_mask_mstrain_2x_lvis_v1-8b5a6745.pth",
    "cascade_mask_rcnn_r101_fpn_sample1e-3_seesaw_loss_mstrain_2x_lvis_v1-5d8ca2a4.pth",
    "cascade_mask_rcnn_r101_fpn_sample1e-3_seesaw_loss_normed_mask_mstrain_2x_lvis_v1-c8551505.pth",
]


def zoo_key(filename):
    """(model, sampler, normed) of a released Seesaw file name."""
    model = filename.split("_fpn_")[0].replace("_", "-").replace("-r", "-r", 1) + "-fpn"
    sampler = "rfs" if "_sample1e-3_" in filename else "random"
    return model, sampler, "_normed_mask_" in filename


SEESAW_ZOO = {zoo_key(f): f for f in SEESAW_ZOO_FILES}


def _seesaw_zoo_cell(key, filename):
    model, sampler, normed = key
    cfg = seesaw_config(model, sampler, normed)
    ckpt = f"{DATA}/checkpoints/{filename}"
    meta = {**SEESAW_META, "backbone": SEESAW_MODELS[model][1], "model": model, "sampler": sampler,
            "normed_mask": normed, "checkpoint_url": f"{ZOO}{filename}"}
    return register(
        "seesaw", seesaw_exp(model, sampler, normed).replace("_seesaw_", "_seesaw-zoo_"),
        command=detect_command(cfg, slug="seesaw", overrides=lvis_overrides("v1", sampler == "rfs"),
                               meta=meta, weights=ckpt),
        inputs={**lvis_inputs("v1", cfg), "checkpoint": ckpt},
        gpu=DET_GPUS, cpus_per_gpu=DET_CPUS_PER_GPU, threads=DET_GPUS * DET_CPUS_PER_GPU,
        mem_mb=160000, runtime_min=180,
    )


SEESAW_ZOO_RUNS = [p for key, f in SEESAW_ZOO.items() for p in _seesaw_zoo_cell(key, f)]
