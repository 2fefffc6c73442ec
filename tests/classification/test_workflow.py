"""What the workflow's split job does with user-provided data. The classification grids' expansion is tested
in tests/test_grid.py, each paper target's real dry run in tests/workflow/test_paper_targets.py."""
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # a fresh interpreter
def test_split_of_user_provided_data_fails_clearly(tmp_path):
    """ImageNet / iNat are not Snakemake inputs; the split job names the missing file and the layout."""
    res = subprocess.run([sys.executable, "-m", "lt_repro.data", "split", "imagenet-lt", "--root", str(tmp_path),
                          "--out", str(tmp_path / "s.json")], cwd=REPO, capture_output=True, text=True)
    assert res.returncode == 2 and "ImageNet_LT_train.txt is missing. Expected layout" in res.stderr
