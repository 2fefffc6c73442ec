"""A reduced demo grid (one ratio, two losses, one seed, two epochs) in a temporary tree."""
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def reduced_demo_config(tmp: Path, mnist_root: Path) -> list[str]:
    """Write the grid and a data dir linking the verified MNIST; return the `--config` arguments."""
    grid = yaml.safe_load((REPO / "configs/demo/grid.yaml").read_text())
    grid["datasets"] = {"mnist-lt-r100": {**grid["datasets"]["mnist-lt-r100"], "n_max": 600}}
    grid["losses"] = {k: grid["losses"][k] for k in ("ce", "cdb")}
    grid["overrides"] = {**grid.get("overrides", {}), "train_cfg.max_epochs": 2, "param_scheduler": []}
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "grid.yaml").write_text(yaml.safe_dump(grid))
    data = tmp / "data"
    (data / "mnist").mkdir(parents=True, exist_ok=True)
    for f in Path(mnist_root).iterdir():
        if f.is_file() and not (data / "mnist" / f.name).exists():
            (data / "mnist" / f.name).symlink_to(f)
    return ["--config", f"results_root={tmp}/results", f"data_root={data}", f"work_root={tmp}/work",
            f"reports_root={tmp}/reports", f"demo={{'grid': '{tmp}/grid.yaml', 'seeds': [0]}}"]
