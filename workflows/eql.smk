# Equalization Loss (Tan et al., CVPR 2020): LVIS v0.5 Mask R-CNN, and softmax EQL on CIFAR-100-LT and
# ImageNet-LT (configs/eql/cls_grid.yaml).

register_grid("eql", "configs/eql/cls_grid.yaml", CLASSIFICATION_DATA)

# ---- LVIS v0.5 ----
# official-code variant (eql.detectron2; the README numbers in configs/published/eql.yaml belong to it):
#   softmax CE, EQL, EQL + repeat-factor sampling; paper variant (sec. 4.2): softmax CE vs sigmoid vs EQL.
EQL_LVIS = {  # exp -> (config, loss, sampler, backbone)
    **{f"lvis-v05_mask-rcnn-r{d}-fpn-1x_{name}": (f"configs/eql/{loss}_mask-rcnn-r{d}-fpn_8xb2-90k_lvis-v05-{s}.py",
                                                   loss, s, f"R-{d}-FPN")
       for d in (50, 101) for name, loss, s in (("ce", "ce", "random"), ("eql", "eql", "random"),
                                                ("eql_rfs", "eql", "rfs"))},
    **{f"lvis-v05_mask-rcnn-r{d}-fpn-25e-paper_{loss}": (f"configs/eql/{loss}-paper_mask-rcnn-r{d}-fpn_8xb4-25e_lvis-v05-random.py",
                                                         loss, "random", f"R-{d}-FPN")
       for d in (50, 101) for loss in ("ce", "sigmoid", "eql")},
}
for _exp, (_cfg, _loss, _s, _backbone) in EQL_LVIS.items():
    register(lt_grid.lvis_experiment(
        "eql", _exp, _cfg, version="v0.5", sampler=_s, data_root=DATA,
        meta={"dataset": "LVIS v0.5", "loss": _loss, "sampler": _s, "backbone": _backbone,
              "variant": "paper" if "-paper" in _exp else "official-code"},
        resources=lt_grid.Resources(**LVIS_JOB, runtime_min=900 if "r101" in _exp else 720)),
        inputs={"config": _cfg, "images": COCO_MARKERS, **LVIS_ANNOTATIONS["v0.5"]})


rule eql:
    input:
        paper_target("eql"),
