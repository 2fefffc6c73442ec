"""A small, valid fidelity table written by the tests (synthetic commit; paths are real files of the repo)."""
from __future__ import annotations

import copy
from pathlib import Path

import yaml

COMMIT = "f" * 40  # synthetic: only the link format is under test
CB_GRID = "configs/cb/grid-imagenet-inat.yaml"
CB_CONFIG = "configs/cb/resnet_8xb128-90e_imagenet-inat.py"

TABLE = {
    "paper": "Class-Balanced Loss Based on Effective Number of Samples (Cui et al., CVPR 2019)",
    "sources": {"code": f"richardaecn/class-balanced-loss@{COMMIT}", "paper": "arXiv:1901.05555v1"},
    "rows": [
        {"id": "imagenet-inat.loss.gamma", "stage": "loss", "applies": "iNat 2018: cb-focal",
         "item": "focal γ", "ours": "0.5", "ours_at": f"{CB_GRID}:3", "official": "GAMMA=0.5",
         "official_at": "code:tpu/run_inat2018.sh:14", "verdict": "same"},
        {"id": "imagenet-inat.optimiser.nesterov", "stage": "optimiser", "applies": "all cells",
         "item": "Nesterov momentum", "ours": "plain momentum", "ours_at": f"{CB_CONFIG}:2-3",
         "official": "use_nesterov=True",
         "official_at": "code:tpu/models/official/resnet/resnet_main.py:300; paper:sec. 5.2",
         "verdict": "deviation", "why": "fixture: a deviation row"},
        {"id": "imagenet-inat.eval.metric", "stage": "evaluation", "applies": "all cells",
         "item": "many/medium/few groups", "ours": "OLTR thresholds", "ours_at": CB_CONFIG,
         "official": "none", "official_at": "paper:Table 3", "verdict": "not-in-official",
         "why": "fixture: not in the official code"},
    ],
}
GITHUB_LINE = (f"https://github.com/richardaecn/class-balanced-loss/blob/{COMMIT}"
               "/tpu/models/official/resnet/resnet_main.py#L300")


def fidelity_table(**changes) -> dict:
    """A deep copy of TABLE; ``changes`` replace top-level keys."""
    return {**copy.deepcopy(TABLE), **changes}


def write_table(folder: Path, data: dict | None = None, slug: str = "cb") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.yaml"
    path.write_text(yaml.safe_dump(fidelity_table() if data is None else data, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path
