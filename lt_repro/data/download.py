"""Checksummed, resumable, atomic downloads.

A file is fetched into ``<dest>.part`` (resumed with an HTTP Range request when a
partial file exists), verified, and only then renamed to ``<dest>``. A complete
file at ``dest`` is therefore always one that passed its checksum.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20


class ChecksumError(RuntimeError):
    """A file's digest differs from the expected one."""


class DownloadError(RuntimeError):
    """No source could deliver a file."""


@dataclass(frozen=True)
class Remote:
    """One downloadable file: where it lives and what it must hash to."""

    url: str
    filename: str
    md5: str | None = None
    sha256: str | None = None
    size: int | None = None

    def expected(self) -> tuple[str, str]:
        if self.sha256:
            return "sha256", self.sha256
        if self.md5:
            return "md5", self.md5
        raise ValueError(f"{self.filename}: no checksum given; every Remote needs md5 or sha256")


def file_digest(path: Path, algo: str = "md5") -> str:
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def verify(path: Path, algo: str, digest: str, *, hint: str = "") -> None:
    """Raise :class:`ChecksumError` naming the file and the fix when ``path`` does not hash to ``digest``."""
    got = file_digest(path, algo)
    if got != digest:
        raise ChecksumError(
            f"{path}: {algo} is {got}, expected {digest}. The file is corrupt or truncated. "
            f"Delete it and run again to re-download{hint}."
        )


def _progress(total: int | None, initial: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="B", unit_scale=True, desc=desc, leave=False)


def fetch(remote: Remote, root: Path, *, timeout: float = 60.0) -> Path:
    """Download ``remote`` into ``root`` unless a verified copy is there; return its path."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    dest = root / remote.filename
    algo, digest = remote.expected()
    if dest.exists():
        verify(dest, algo, digest)
        return dest
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    req = urllib.request.Request(remote.url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            resumed = have and resp.status == 206
            mode = "ab" if resumed else "wb"
            start = have if resumed else 0
            length = resp.headers.get("Content-Length")
            total = start + int(length) if length else remote.size
            with open(part, mode) as out, _progress(total, start, remote.filename) as bar:
                for block in iter(lambda: resp.read(CHUNK), b""):
                    out.write(block)
                    bar.update(len(block))
    except (urllib.error.URLError, TimeoutError, ConnectionError) as err:
        raise DownloadError(
            f"could not download {remote.url} to {dest}: {err}. "
            f"Check the network, or place the file there by hand ({algo} {digest})."
        ) from err
    try:
        verify(part, algo, digest, hint=f" from {remote.url}")
    except ChecksumError:
        part.unlink()
        raise
    os.replace(part, dest)
    return dest


def fetch_from_mirrors(bases: list[str], filename: str, md5: str, root: Path, *, timeout: float = 20.0) -> Path:
    """``filename`` from the first of ``bases`` (URL prefixes) that serves it with this md5; a DownloadError
    names every mirror's failure."""
    errors = []
    for base in bases:
        try:
            return fetch(Remote(base + filename, filename, md5=md5), root, timeout=timeout)
        except DownloadError as err:
            errors.append(str(err))
    raise DownloadError("; ".join(errors))


def atomic_copy(src: Path, dest: Path) -> Path:
    """Copy ``src`` to ``dest`` through a temporary name in the same folder."""
    tmp = dest.with_name(dest.name + ".part")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)
    return dest
