"""The project speaks of the papers, the official code and our runs, never of how something was looked up:
no tracked file may carry working notes ("this session", "file id", "stored ... index", "the brief", tool
names, "the lead"). One test per phrase, each failure listing every file:line that carries it."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
THIS = Path(__file__).resolve()
ROOTS = ("configs", "lt_repro", "workflows", "benchmarks", "profiles", "tests", "scripts", "README.md")
SKIP_DIRS = {".git", ".venv", "__pycache__", "results", "reports", "work_dirs", "node_modules"}

PHRASES = {  # name -> case-insensitive pattern
    "this session": r"\bthis session\b",
    "helper session": r"\bhelper session\b",
    "file id": r"\bfile ids?\b",
    "stored ... index": r"\bstored\b[\w\s,.()/-]{0,40}\bindex\b",
    "public-code index": r"\bpublic[- ]code index\b",
    "code index": r"\bcode index\b|\bthe index (holds|cannot|does not name)\b",
    "lt_brief": r"\blt_brief\b",
    "the brief": r"\b(the|our) brief\b|\bbrief of the\b",
    "the lead": r"\bthe lead\b",
    "find_string": r"\bfind_string\b",
    "read_file": r"\bread_file\b",
    "find_files": r"\bfind_(files|repos)\b",
}


def _files() -> list[Path]:
    """Tracked files (git ls-files); without git, every file under ROOTS."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
        paths = [REPO / p for p in out.decode().split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        paths = [p for r in ROOTS for p in ((REPO / r).rglob("*") if (REPO / r).is_dir() else [REPO / r])
                 if not SKIP_DIRS & set(p.relative_to(REPO).parts)]
    return [p for p in paths if p.is_file() and p.resolve() != THIS]


def _lines() -> list[tuple[str, int, str]]:
    out = []
    for path in _files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary or unreadable: no words to check
        rel = path.relative_to(REPO).as_posix()
        out += [(rel, i, line) for i, line in enumerate(text.splitlines(), 1)]
    return out


@pytest.fixture(scope="module")
def lines():
    found = _lines()
    assert any(rel == "README.md" for rel, _, _ in found)  # the scan sees the project
    return found


@pytest.mark.parametrize("name", PHRASES)
def test_no_working_notes(lines, name):
    rx = re.compile(PHRASES[name], re.IGNORECASE)
    hits = [f"{rel}:{i}: {line.strip()[:160]}" for rel, i, line in lines if rx.search(line)]
    assert not hits, f"{len(hits)} line(s) carry the working note {name!r}:\n" + "\n".join(hits)


@pytest.mark.parametrize("name,caught,passed", [
    ("this session", "values read in This Session", "a pytest session fixture"),
    ("helper session", "a helper session found it", "a helper for the session scope"),
    ("file id", "file ids 55952368749 and 68936826008", "file identity and file_id keys"),
    ("stored ... index", "held in the stored public-code index", "stored as int64; index the rows"),
    ("public-code index", "the public-code index", "public code, indexed"),
    ("lt_brief", "shared interface, lt_brief", "lt_briefing_room"),
    ("the brief", "(brief of the lead, from the paper)", "a brief summary of the paper"),
    ("the lead", "the lead should map it", "the leading digit; lead-acid"),
    ("find_string", "find_string/read_file", "find_strings_in"),
    ("read_file", "read_file id 67230096513", "path.read_text()"),
    ("find_files", "where the code index (find_files, repo x) holds it", "files found by rglob"),
    ("code index", "the index cannot say whether that commit", "an index of the rows; source code, indexed"),
])
def test_phrases_catch_notes_and_spare_ordinary_words(name, caught, passed):
    rx = re.compile(PHRASES[name], re.IGNORECASE)
    assert rx.search(caught) and not rx.search(passed)
