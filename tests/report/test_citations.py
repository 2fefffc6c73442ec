"""The code lines a fidelity table cites still hold what they held when the table was written
(lt_repro/report/citations.py): moved blocks are found and retraced, changed ones reported."""
import subprocess
import sys
from pathlib import Path

import pytest

from lt_repro.report import citations

REPO = Path(__file__).resolve().parents[2]
TABLE = """\
# a comment that retrace keeps
rows:
  - id: lr
    ours_at: "a.py:3; a.py:2-3; a.py"   # the value, its block, the file
  - id: wd
    ours_at: "a.py:5"
"""


def _git(repo, *args):
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args], check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path):
    _git(tmp_path, "init", "-q")
    (tmp_path / "a.py").write_text("def f():\n    x = 1\n    lr = 0.1\n\nwd = 5e-4\n")
    (tmp_path / "table.yaml").write_text(TABLE)
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "table")
    return tmp_path


def test_unchanged_code_has_no_stale_place(repo):
    assert citations.table_commit(repo / "table.yaml", repo)
    assert citations.stale_places(repo / "table.yaml", repo) == []


def test_moved_block_is_found_and_retraced(repo):
    code = repo / "a.py"
    code.write_text("import math\n" + code.read_text())  # every line one down, uncommitted
    stale = citations.stale_places(repo / "table.yaml", repo)
    assert [(s.row, s.place, s.moved_to) for s in stale] == [
        ("lr", "a.py:3", "a.py:4"), ("lr", "a.py:2-3", "a.py:3-4"), ("wd", "a.py:5", "a.py:6")]
    assert citations.retrace(repo / "table.yaml", stale) == 3
    text = (repo / "table.yaml").read_text()
    assert 'ours_at: "a.py:4; a.py:3-4; a.py"   # the value, its block, the file' in text
    assert 'ours_at: "a.py:6"' in text and text.startswith("# a comment that retrace keeps\n")
    # the retraced table is an uncommitted edit: nothing to compare with until it is committed
    assert citations.table_commit(repo / "table.yaml", repo) is None
    _git(repo, "commit", "-q", "-am", "retraced")
    assert citations.stale_places(repo / "table.yaml", repo) == []


def test_changed_value_needs_a_reader(repo):
    code = repo / "a.py"
    code.write_text(code.read_text().replace("lr = 0.1", "lr = 0.2"))
    stale = citations.stale_places(repo / "table.yaml", repo)
    assert [(s.row, s.place, s.moved_to) for s in stale] == [("lr", "a.py:3", None), ("lr", "a.py:2-3", None)]
    assert "changed since the table was written" in str(stale[0])
    assert citations.retrace(repo / "table.yaml", stale) == 0
    assert (repo / "table.yaml").read_text() == TABLE


def test_a_block_found_twice_is_not_guessed(repo):
    code = repo / "a.py"
    code.write_text("wd = 5e-4\n" + code.read_text())  # the wd line now twice, the cited one moved
    stale = citations.stale_places(repo / "table.yaml", repo)
    assert ("wd", "a.py:5", None) in [(s.row, s.place, s.moved_to) for s in stale]


def test_outside_git_nothing_is_compared(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "table.yaml").write_text('rows:\n  - id: x\n    ours_at: "a.py:1"\n')
    assert citations.table_commit(tmp_path / "table.yaml", tmp_path) is None
    assert citations.stale_places(tmp_path / "table.yaml", tmp_path) == []


def test_the_project_tables_cite_what_they_meant():
    """Every ours_at line of configs/fidelity/*.yaml holds what it held when its table was last committed.
    On failure: `python -m lt_repro.report retrace --fix` rewrites moved places; re-check changed ones."""
    tables = sorted((REPO / "configs/fidelity").glob("*.yaml"))
    if not any(citations.table_commit(t, REPO) for t in tables):
        pytest.skip("no committed fidelity table to compare with (not a git checkout, or tables being edited)")
    stale = {t.name: [str(s) for s in citations.stale_places(t, REPO)] for t in tables}
    assert not any(stale.values()), stale
    done = subprocess.run([sys.executable, "-m", "lt_repro.report", "retrace"], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
