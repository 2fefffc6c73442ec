# Distribution-Balanced Loss (Wu et al. 2020): multi-label COCO-MLT and VOC-MLT (configs/db/grid.yaml).
# Data (lt_repro/data/mlt.py): the official long-tailed lists (the DB repository's appendix/), COCO 2017 with
# its instances annotations (images shared with the LVIS rules: coco_images and COCO_MARKERS of lvis.smk),
# VOC 2012 trainval + VOC 2007 test.
import os

_COCO, _VOC = f"{DATA}/coco", f"{DATA}/voc-mlt"
_APPENDIX = {"coco-mlt": [f"{_COCO}/longtail2017/{n}" for n in ("img_id.pkl", "class_freq.pkl", "class_split.pkl")],
             "voc-mlt": [f"{_VOC}/longtail2012/{n}" for n in ("img_id.txt", "class_freq.pkl", "class_split.pkl")]}
_COCO_JSON = [f"{_COCO}/annotations/instances_{s}2017.json" for s in ("train", "val")]
_VOC_TARS = [f"{_VOC}/.VOC2012.complete", f"{_VOC}/.VOC2007.complete"]
# the backbone's ImageNet weights (torchvision IMAGENET1K_V1 = mmcv's 'torchvision://resnet50'), fetched on the
# login node into torch's hub cache (TORCH_HOME, else $XDG_CACHE_HOME/torch or ~/.cache/torch, as torch.hub), which
# the GPU jobs read; torchvision checks the file's sha256 prefix
_TORCH_HOME = os.environ.get("TORCH_HOME") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "torch")
_RESNET50 = os.path.join(_TORCH_HOME, "hub", "checkpoints", "resnet50-0676ba61.pth")
DB_DATA = {  # data source -> the files its split is made from (register_grid's data_files)
    "coco-mlt": _APPENDIX["coco-mlt"] + _COCO_JSON + COCO_MARKERS + [_RESNET50],
    "voc-mlt": _APPENDIX["voc-mlt"] + _VOC_TARS + [_RESNET50],
}

register_grid("db", "configs/db/grid.yaml", DB_DATA)


localrules:
    fetch_coco_mlt,
    fetch_voc_mlt,
    fetch_resnet50_imagenet,


rule fetch_resnet50_imagenet:
    output:
        _RESNET50,
    params:
        py=PY,
    log:
        f"{WORK}/logs/data/resnet50-imagenet.log",
    shell:
        "{params.py} -c \"import torchvision; torchvision.models.resnet50(weights='IMAGENET1K_V1')\" > {log} 2>&1"


rule fetch_coco_mlt:
    input:
        COCO_MARKERS,
    output:
        _APPENDIX["coco-mlt"] + _COCO_JSON,
    params:
        py=PY,
        root=lambda wc, output: Path(output[0]).parent.parent,  # <root>/longtail2017/img_id.pkl
    log:
        f"{WORK}/logs/data/coco-mlt.log",
    shell:
        "{params.py} -m lt_repro.data fetch coco-mlt --root {params.root} > {log} 2>&1"


rule fetch_voc_mlt:
    output:
        _APPENDIX["voc-mlt"] + _VOC_TARS,
    params:
        py=PY,
        root=lambda wc, output: Path(output[0]).parent.parent,  # <root>/longtail2012/img_id.txt
    log:
        f"{WORK}/logs/data/voc-mlt.log",
    shell:
        "{params.py} -m lt_repro.data fetch voc-mlt --root {params.root} > {log} 2>&1"


rule db:
    input:
        paper_target("db"),
