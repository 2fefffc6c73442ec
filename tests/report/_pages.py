"""Parsing rendered report pages (files or a browser's dumped DOM) for the report tests."""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse


class Page(HTMLParser):
    """Links, images, table cells (text + attributes) of one HTML file (or of HTML text, e.g. a dumped DOM)."""

    def __init__(self, path: Path, text: str | None = None):
        super().__init__()
        self.path, self.links, self.images, self.cells, self._cell = path, [], [], [], None
        self.feed(path.read_text(encoding="utf-8") if text is None else text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag == "img":
            self.images.append(a["src"])
        if tag == "td":
            self._cell = {"attrs": a, "text": ""}

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._cell["text"] = " ".join(self._cell["text"].split())
            self.cells.append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data

    def local_targets(self) -> list[Path]:
        out = []
        for href in self.links + self.images:
            u = urlparse(href)
            if u.scheme or href.startswith("#"):
                continue
            out.append((self.path.parent / unquote(u.path)).resolve())
        return out
