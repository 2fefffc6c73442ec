"""Whether the lines a fidelity table cites in our code still hold what they held when the table was written.

``ours_at`` cites our code by line (``path:14`` or ``path:14-20``). A table's rows were traced against the code
as it stood at the table's last commit; a later edit of a cited file can shift the cited lines or change the
value on them, and the table would then point a reader at the wrong code. For each cited block this compares
the lines now with the same lines at that commit (git); a block that differs is *stale*. Where the old block
now sits elsewhere, exactly once, the place has only moved, and ``retrace`` rewrites its line numbers; a
changed block needs a reader to re-check the row.

Outside a git checkout, or while the table itself has uncommitted edits (it is being re-traced), there is no
reference to compare with, and nothing is reported.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from .fidelity import REPO, ours_places


@dataclass(frozen=True)
class Stale:
    row: str
    place: str            # as cited: path:first[-last]
    moved_to: str | None  # path:first[-last] where the old block now is (found exactly once), else None

    def __str__(self) -> str:
        if self.moved_to:
            return f"row {self.row}: {self.place} has moved to {self.moved_to}"
        return f"row {self.row}: the lines of {self.place} changed since the table was written; re-check the row"


def _git(repo: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def table_commit(table: Path, repo: Path = REPO) -> str | None:
    """The commit the table was last written in; None outside git or while the table has uncommitted edits."""
    rel = str(Path(table).resolve().relative_to(Path(repo).resolve()))
    if _git(repo, "diff", "--quiet", "HEAD", "--", rel) is None:  # dirty, or no git / no HEAD
        return None
    commit = (_git(repo, "log", "-1", "--format=%H", "--", rel) or "").strip()
    return commit or None


def _places(ours_at: str):
    for place, p in ours_places(ours_at):
        if p and p["first"]:
            yield place, p["path"], int(p["first"]), int(p["last"] or p["first"])


def _found_once(block: list[str], lines: list[str]) -> int | None:
    """The 1-based first line of the one occurrence of ``block`` in ``lines``; None if absent or repeated."""
    n = len(block)
    starts = [i for i in range(len(lines) - n + 1) if lines[i:i + n] == block]
    return starts[0] + 1 if len(starts) == 1 else None


def stale_places(table: str | Path, repo: str | Path = REPO) -> list[Stale]:
    """Every cited block of ``table`` that differs from the same lines at the table's last commit."""
    repo, table = Path(repo), Path(table)
    commit = table_commit(table, repo)
    if commit is None:
        return []
    files: dict[str, tuple[list[str] | None, list[str]]] = {}  # path -> its lines at the commit, and now
    stale = []
    for row in yaml.safe_load(table.read_text(encoding="utf-8"))["rows"]:
        for place, path, first, last in _places(row["ours_at"]):
            if path not in files:
                text = _git(repo, "show", f"{commit}:{path}")
                files[path] = (None if text is None else text.splitlines(),
                               (repo / path).read_text(encoding="utf-8").splitlines())
            then, now = files[path]
            if then is not None and now[first - 1:last] == then[first - 1:last]:
                continue
            start = None if then is None else _found_once(then[first - 1:last], now)
            moved = None if start is None else (
                f"{path}:{start}" + (f"-{start + last - first}" if last > first else ""))
            stale.append(Stale(row["id"], place, moved))
    return stale


def retrace(table: str | Path, stale: list[Stale]) -> int:
    """Rewrite, in the table's text, the line numbers of every place that has only moved; returns how many.
    Only the row's own ``ours_at:`` line is edited, so comments and layout stay as they are."""
    table = Path(table)
    lines = table.read_text(encoding="utf-8").splitlines(keepends=True)
    row_at = {m.group(1): i for i, line in enumerate(lines) if (m := re.match(r"\s*- id: *(\S+)", line))}
    done = 0
    for s in stale:
        if not s.moved_to or s.row not in row_at:
            continue
        i = row_at[s.row]
        while not re.match(r"\s*ours_at:", lines[i]):
            i += 1
        new = re.sub(rf"(?<![^\s\";]){re.escape(s.place)}(?![\d-])", s.moved_to, lines[i], count=1)
        done += new != lines[i]
        lines[i] = new
    if done:
        table.write_text("".join(lines), encoding="utf-8")
    return done
