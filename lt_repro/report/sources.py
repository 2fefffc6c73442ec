"""Sources a reader can open: the three forms a published number may cite, and the link each opens.

* ``arXiv:<id>v<N>`` (a paper, version pinned) -> ``https://arxiv.org/abs/<id>v<N>``;
* ``owner/repo@<40-hex commit>:<path>`` (a file of an official repository, commit pinned)
  -> ``https://github.com/owner/repo/blob/<commit>/<path>``;
* an ``https://`` URL (a model-zoo page, the proceedings page) -> itself.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

ARXIV = re.compile(r"arXiv:(?P<id>(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})v\d+)")
GITHUB = re.compile(r"(?P<repo>[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+)@(?P<commit>[0-9a-f]{40}):(?P<path>[^\s:]+)")
URL = re.compile(r"https://[^\s/]+(/\S*)?")
FORMS = "'arXiv:<id>v<N>', 'owner/repo@<full 40-hex commit>:<path>' or an https:// URL"


def kind_of(text: str) -> str | None:
    """'arxiv', 'github' or 'url' when ``text`` is one of the openable forms, else None."""
    for kind, pattern in (("arxiv", ARXIV), ("github", GITHUB), ("url", URL)):
        if pattern.fullmatch(text):
            return kind
    return None


def href_of(text: str) -> str:
    """The link a reader clicks for an openable source (``kind_of(text)`` must not be None)."""
    kind = kind_of(text)
    if kind == "arxiv":
        return f"https://arxiv.org/abs/{ARXIV.fullmatch(text)['id']}"
    if kind == "github":
        m = GITHUB.fullmatch(text)
        return f"https://github.com/{m['repo']}/blob/{m['commit']}/{m['path']}"
    if kind == "url":
        return text
    raise ValueError(f"{text!r} is not an openable source; write {FORMS}")


@dataclass(frozen=True)
class Source:
    """One keyed entry of a published file's ``sources``."""

    key: str
    cite: str  # who/what/where, e.g. 'Cui et al., Class-Balanced Loss ..., CVPR 2019'
    open: str  # one of the openable forms above
    note: str = ""

    @property
    def kind(self) -> str:
        return kind_of(self.open) or ""

    @property
    def href(self) -> str:
        return href_of(self.open)
