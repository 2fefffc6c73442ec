# Seesaw Loss (Wang et al., CVPR 2021): the ImageNet-LT cells here; the LVIS v1 Mask / Cascade
# Mask R-CNN cells are registered by workflows/detection.smk.
PAPER_RUNS["seesaw"] += register_classification_grid("seesaw", "configs/seesaw/cls_grid.yaml")
PAPER_RUNS["seesaw"] += register_decoupled_cells("seesaw", "configs/seesaw/cls_grid.yaml")
