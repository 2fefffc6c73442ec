"""Put one real run's outputs under results/<slug>/<exp>/seed-0/, run the report CLI as the workflow
does, and return the comparison rows and the paper page."""
import csv
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def compare_run(run_dir: Path, slug: str, exp: str, tmp: Path):
    dest = tmp / "results" / slug / exp / "seed-0"
    dest.mkdir(parents=True)
    for name in ("metrics.json", "record.json"):
        shutil.copy(run_dir / name, dest / name)
    py = [sys.executable, "-m", "lt_repro.report"]
    subprocess.run([*py, "compare", "--slug", slug, "--results", str(tmp / "results"), "--published",
                    str(REPO / "configs/published"), "--out", str(tmp / "results" / slug / "comparison.tsv")],
                   check=True, capture_output=True)
    subprocess.run([*py, "html", "--results", str(tmp / "results"), "--published", str(REPO / "configs/published"),
                    "--out", str(tmp / "reports"), "--only", slug], check=True, capture_output=True)
    with open(tmp / "results" / slug / "comparison.tsv") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return rows, (tmp / "reports" / f"{slug}.html").read_text()
