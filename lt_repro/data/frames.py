"""Frame extraction: every frame of each listed clip as ``<out>/%06d.jpg``, resumable and checksummed.

As hitachi-rd-cv/CDB-loss ``EGTEA/data/extract_frames.py`` (``sample_every = 1``): OpenCV decodes the clip
(``cv2.VideoCapture``, BGR) and writes each frame with OpenCV's JPEG encoder at its default quality (95,
``cv2.imwrite``), numbered from 000000.

A clip is written to ``<out>.part/``, renamed to ``<out>/`` when complete, and only then gets its digest file
``<out>.sha256.json`` (frame count and sha256 over the frame names and bytes, in order). A clip with a digest
file is done: a rerun skips it, so an interrupted extraction resumes where it stopped; a folder without one is
extracted again. The digest files stay outside the clip folder, whose files the loader counts as frames.
When every clip of a list is done, ``manifest`` writes the list's manifest: each clip's digest and a sha256
over all of them. ``verify`` re-hashes the frames against it.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from lt_repro.record import atomic_write_json

DIGEST_SUFFIX = ".sha256.json"


def digest_path(out: Path) -> Path:
    return out.with_name(out.name + DIGEST_SUFFIX)


def frames_digest(folder: Path) -> dict:
    """Frame count and sha256 over (name, bytes) of the frames of ``folder``, in name order."""
    h = hashlib.sha256()
    names = sorted(os.listdir(folder))
    for name in names:
        h.update(name.encode())
        h.update((folder / name).read_bytes())
    return {"frames": len(names), "sha256": h.hexdigest()}


def extract_clip(video: Path, out: Path) -> dict:
    """Decode every frame of ``video`` with OpenCV and write ``out/%06d.jpg``; return its digest. A clip
    already done (digest file present) is not decoded again."""
    import cv2

    video, out = Path(video), Path(out)
    done = digest_path(out)
    if done.exists() and out.is_dir():
        return json.loads(done.read_text())
    if not video.is_file():
        raise FileNotFoundError(f"{video} is missing (a clip of the split list)")
    tmp = out.with_name(out.name + ".part")
    for stale in (tmp, out):
        if stale.exists():
            shutil.rmtree(stale)
    tmp.mkdir(parents=True)
    cap = cv2.VideoCapture(str(video))
    try:
        n = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            if not cv2.imwrite(str(tmp / f"{n:06d}.jpg"), frame):
                raise OSError(f"could not write {tmp / f'{n:06d}.jpg'}")
            n += 1
    finally:
        cap.release()
    if n == 0:
        shutil.rmtree(tmp)
        raise ValueError(f"{video}: OpenCV decoded no frame; the file is not a readable video")
    digest = frames_digest(tmp)
    os.replace(tmp, out)
    atomic_write_json(done, digest)
    return digest


def _extract(job):
    return extract_clip(*job)


def extract_all(jobs: list[tuple[str, Path, Path]], workers: int = 1) -> dict:
    """Extract (clip name, video, out folder) jobs, ``workers`` processes; clip name -> digest."""
    todo = [(v, o) for _, v, o in jobs]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            digests = list(pool.map(_extract, todo, chunksize=8))
    else:
        digests = [_extract(j) for j in todo]
    return {name: d for (name, _, _), d in zip(jobs, digests)}


def manifest(digests: dict, *, source: str) -> dict:
    """A list's manifest: each clip's digest and one sha256 over all of them (keys sorted, as written)."""
    blob = json.dumps(digests, sort_keys=True, separators=(",", ":")).encode()
    return {"source": source, "clips": digests, "sha256": hashlib.sha256(blob).hexdigest()}


def write_manifest(path: Path, digests: dict, *, source: str) -> dict:
    m = manifest(digests, source=source)
    atomic_write_json(Path(path), m)
    return m


def verify(manifest_path: Path, folders: dict[str, Path]) -> list[str]:
    """Clips whose frames no longer match the manifest (re-hashed); [] when all match."""
    m = json.loads(Path(manifest_path).read_text())
    if manifest(m["clips"], source=m["source"])["sha256"] != m["sha256"]:
        return ["<manifest digest>"]
    bad = []
    for clip, want in m["clips"].items():
        folder = folders[clip]
        if not folder.is_dir() or frames_digest(folder) != want:
            bad.append(clip)
    return bad
