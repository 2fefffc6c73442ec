"""The rendered report in a real headless Chromium: tables have numbers, images decode, links resolve.

The browser loads copies of the pages (in the same folder, so relative URLs are unchanged) with a small
script appended that writes what the browser sees (image natural sizes, resolved link targets, table
sizes) into the DOM; ``--dump-dom`` returns that DOM after the load event.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from lt_repro.report.html import SLUGS, render_all

from ._fidelity_fixture import GITHUB_LINE, TABLE, write_table
from ._pages import Page
from .test_report_html import PUBLISHED

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PROBE = """
<script>
window.addEventListener('load', function () {
  var lines = [];
  Array.prototype.forEach.call(document.images, function (i) {
    lines.push('IMG ' + i.getAttribute('src') + ' ' + i.naturalWidth + 'x' + i.naturalHeight + ' ' + i.complete);
  });
  Array.prototype.forEach.call(document.links, function (a) { lines.push('LINK ' + a.href); });
  Array.prototype.forEach.call(document.querySelectorAll('table'), function (t) {
    lines.push('TABLE ' + t.rows.length + ' ' + t.offsetWidth + 'x' + t.offsetHeight);
  });
  Array.prototype.forEach.call(document.querySelectorAll('table.deviations tbody tr'), function (r) {
    lines.push('DEVIATION ' + r.id + ' ' + r.offsetHeight);
  });
  Array.prototype.forEach.call(document.querySelectorAll('table.pivot'), function (t) {
    var body = t.tBodies[0].rows, most = 0;
    Array.prototype.forEach.call(body, function (r) { most = Math.max(most, r.querySelectorAll('td.cell').length); });
    lines.push('PIVOT ' + body.length + ' ' + most + ' ' + t.tHead.rows.length + ' ' + t.dataset.table);
  });
  Array.prototype.forEach.call(document.querySelectorAll('td.cell[data-verdict]'), function (c) {
    var b = c.getBoundingClientRect();
    lines.push('CELL ' + c.id + ' ' + [Math.round(b.left + window.scrollX), Math.round(b.top + window.scrollY),
      Math.round(b.width), Math.round(b.height)].join(',') + ' ' + getComputedStyle(c).backgroundColor.replace(/ /g, '')
      + ' ' + c.dataset.verdict);
    Array.prototype.forEach.call(c.querySelectorAll('a'), function (a) { lines.push('CELLLINK ' + a.href); });
  });
  Array.prototype.forEach.call(document.querySelectorAll('a[href^="#"]'), function (a) {
    lines.push('ANCHOR ' + a.getAttribute('href') + ' '
      + (document.getElementById(a.getAttribute('href').slice(1)) !== null));
  });
  Array.prototype.forEach.call(document.querySelectorAll('.bar .seg'), function (g) {
    lines.push('SEG ' + g.className.replace('seg ', '') + ' ' + g.offsetWidth + ' '
      + g.closest('.bar').getAttribute('href'));
  });
  Array.prototype.forEach.call(document.querySelectorAll('table.claims > tbody > tr'), function (r) {
    var s = r.querySelectorAll(':scope > td.claim-status');
    lines.push('CLAIM ' + r.id + ' ' + s[0].textContent.trim().replace(/ /g, '_') + ' '
      + s[1].textContent.trim().replace(/ /g, '_'));
  });
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = lines.join('\\n');
  document.body.appendChild(pre);
});
</script>
"""

pytestmark = [
    pytest.mark.workflow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Chromium is not installed"),
]


def chromium(tmp_path: Path, *args: str) -> str:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
           "--virtual-time-budget=10000", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def probe(tmp_path: Path, page: Path, *args: str) -> dict:
    """Load a probed copy of ``page`` and return what the browser reported."""
    copy = page.with_name(f"probe-{page.name}")
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = chromium(tmp_path, *args, "--dump-dom", copy.as_uri())
    copy.unlink()
    m = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert m, f"probe did not run on {page.name}: {dom[:500]}"
    lines = m.group(1).replace("&amp;", "&").splitlines()
    return {
        "images": [line.split()[1:] for line in lines if line.startswith("IMG ")],
        "links": [line[5:] for line in lines if line.startswith("LINK ")],
        "tables": [tuple(line.split()[1:]) for line in lines if line.startswith("TABLE ")],
        "deviations": [tuple(line.split()[1:]) for line in lines if line.startswith("DEVIATION ")],
        "pivots": {line.split(None, 4)[4]: tuple(int(x) for x in line.split()[1:4])
                   for line in lines if line.startswith("PIVOT ")},
        "cells": {p[1]: (tuple(int(x) for x in p[2].split(",")), p[3], p[4].replace("_", " ")) for p in
                  (line.split(None, 4) for line in lines if line.startswith("CELL "))},
        "cell_links": [line[9:] for line in lines if line.startswith("CELLLINK ")],
        "anchors": [tuple(line.split()[1:]) for line in lines if line.startswith("ANCHOR ")],
        "segments": [tuple(line.split()[1:]) for line in lines if line.startswith("SEG ")],
        "claims": {p[1]: (p[2].replace("_", " "), p[3].replace("_", " ")) for p in
                   (line.split() for line in lines if line.startswith("CLAIM "))},
        "dom": dom,
    }


def _existing_local(url: str) -> bool:
    u = urlparse(url)
    return u.scheme != "file" or Path(unquote(u.path)).exists()


def _resolves(url: str, dom: str) -> bool:
    """A link into the probed copy itself (an in-page anchor) resolves when its id is in the page."""
    u = urlparse(url)
    if u.scheme == "file" and Path(unquote(u.path)).name.startswith("probe-"):
        return bool(u.fragment) and f'id="{u.fragment}"' in dom
    return _existing_local(url)


def test_report_in_headless_chromium(tmp_path, results):
    out = tmp_path / "reports"
    render_all(results, PUBLISHED, out, fidelity_dir=write_table(tmp_path / "fidelity").parent)

    index = probe(tmp_path, out / "index.html")
    targets = [u for u in index["links"] if u.startswith("file:")]
    assert len(targets) == 2 * len(SLUGS) + 2  # five papers (title and bar), demo, and the nav link to itself
    assert all(_existing_local(u) for u in targets), targets

    demo = probe(tmp_path, out / "demo.html")
    ((src, size, complete),) = demo["images"]
    width, height = (int(x) for x in size.split("x"))
    assert src == "img/demo_per_class_acc.png" and complete == "true" and width > 400 and height > 200
    rows, box = demo["tables"][0][0], demo["tables"][0][1]
    assert int(rows) == 4 and int(box.split("x")[1]) > 50  # 2 header rows + 2 losses, laid out
    cells = Page(out / "demo.html", text=demo["dom"])
    nums = [c["text"] for c in cells.cells if "num" in c["attrs"].get("class", "").split()]
    assert sum("±" in t for t in nums) == 18 and sum("(n=3)" in t for t in nums) == 4  # + 2 empty 'few' cells
    assert not [u for u in demo["links"] if not _resolves(u, demo["dom"])]

    cdb = probe(tmp_path, out / "cdb.html")
    assert any(int(r) > 1 for r, _ in cdb["tables"])
    assert "57.50 ± 0.71 (n=2)" in cdb["dom"]
    metrics = set(u for u in cdb["links"] if u.endswith("metrics.json"))  # in the table, the claims, the run list
    assert len(metrics) == 3 and all(_existing_local(u) for u in metrics)

    cb = probe(tmp_path, out / "cb.html")  # the fixture table: its non-'same' rows, laid out, with their links
    assert "Deviations from the official code" in cb["dom"]
    expected = [f"fidelity-{r['id']}" for r in TABLE["rows"] if r["verdict"] != "same"]
    assert [row_id for row_id, _ in cb["deviations"]] == expected
    assert all(int(height) > 0 for _, height in cb["deviations"])
    files = [u for u in cb["links"] if u.startswith("file:") and "#" not in u]  # ours_at, the tables' yaml
    assert GITHUB_LINE in cb["links"] and any(u.endswith(".py") for u in files) and all(map(_existing_local, files))
    assert "No fidelity table for this paper yet" in cdb["dom"]

    shot = tmp_path / "demo.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1300,1500", "--hide-scrollbars",
             (out / "demo.html").as_uri())
    from PIL import Image

    gray = Image.open(shot).convert("L")
    hist = gray.histogram()
    non_white = sum(hist[:200]) / (gray.width * gray.height)
    assert gray.size == (1300, 1500) and 0.01 < non_white < 0.9  # text, table and plot drawn, not blank
    keep = os.environ.get("LT_REPORT_SCREENSHOT")
    if keep:  # to look at it: LT_REPORT_SCREENSHOT=/tmp/demo.png pytest -m workflow tests/report
        shutil.copy(shot, keep)



BACKGROUND = {"match": "rgb(230,244,234)", "within tolerance": "rgb(255,245,214)", "mismatch": "rgb(253,232,234)",
              "not run": "rgb(244,245,247)"}  # base.html: .match, .within-tolerance, .mismatch, .not-run


def test_paper_tables_claims_scatter_and_index_bars_in_headless_chromium(tmp_path, results, write_run):
    for seed, err in enumerate((29.40, 29.80)):  # published 29.64: within tolerance
        write_run(results, "cb", "cifar10lt-r100_softmax", seed, {"top1_err_pct": err})
    write_run(results, "cb", "cifar10lt-r50_cb-focal", 0, {"top1_err_pct": 22.0})  # published 20.73: mismatch
    write_run(results, "cb", "cifar10lt-r50_softmax", 0, {"top1_err_pct": 21.0})  # CB no better than softmax at ρ=50
    out = tmp_path / "reports"
    render_all(results, PUBLISHED, out)
    size = ("--window-size=1400,2000", "--hide-scrollbars")

    cb = probe(tmp_path, out / "cb.html", *size)
    assert cb["pivots"] == {"Table 2": (6, 12, 2), "Table 3": (9, 6, 2)}  # the paper's rows, columns, header rows
    assert len(cb["cells"]) == 126
    verdicts = {v for _, _, v in cb["cells"].values()}
    assert verdicts == {"within tolerance", "mismatch", "not run"}
    for rect, background, verdict in cb["cells"].values():
        assert background == BACKGROUND[verdict] and rect[2] > 30 and rect[3] > 20  # coloured by verdict, laid out
    # every link of a cell resolves: run files exist, footnote anchors exist, the source is the paper's abstract
    local = [u for u in cb["cell_links"] if u.startswith("file:") and "#" not in u]
    assert len(local) == 4 and all(u.endswith("metrics.json") and _existing_local(u) for u in local)
    assert {u for u in cb["cell_links"] if u.startswith("https:")} == {"https://arxiv.org/abs/1901.05555v1"}
    assert all(ok == "true" for _, ok in cb["anchors"]), [a for a in cb["anchors"] if a[1] != "true"]
    assert any(href.startswith("#cell-") for href, _ in cb["anchors"])  # claim evidence points into the tables
    # the claim that the fixture run contradicts shows 'fails'; it still holds on the published numbers
    assert cb["claims"]["claim-cifar10-cb-beats-plain-losses"] == ("holds", "fails")
    assert cb["claims"]["claim-cifar100-cb-beats-plain-losses"] == ("holds", "not run")
    assert "fails: " in cb["dom"]
    (scatter,) = [i for i in cb["images"] if i[0] == "img/cb_vs_published.png"]
    width, height = (int(x) for x in scatter[1].split("x"))
    assert scatter[2] == "true" and width > 400 and height > 400

    seesaw = probe(tmp_path, out / "seesaw.html")
    assert seesaw["pivots"]["Table 1"] == (20, 5, 1) and seesaw["pivots"]["Table 2"] == (6, 5, 1)
    eql = probe(tmp_path, out / "eql.html")
    assert eql["pivots"]["Table 1"] == (12, 5, 1) and eql["pivots"]["Table 7"] == (5, 4, 2)
    assert "No published cell has a run yet." in eql["dom"]

    index = probe(tmp_path, out / "index.html", *size)
    bars = {}
    for cls, width, href in index["segments"]:
        bars.setdefault(href, []).append((cls, int(width)))
    assert sorted(bars) == sorted(f"{s}.html" for s in SLUGS) and all(w > 0 for b in bars.values() for _, w in b)
    assert [cls for cls, _ in bars["cb.html"]] == ["within-tolerance", "mismatch", "not-run"]
    assert bars["eql.html"] == [("not-run", max(w for _, w in bars["eql.html"]))]

    # the screenshot: CB Table 2 drawn with the fixture cells in their verdict's colour
    shot = tmp_path / "cb.png"
    chromium(tmp_path, f"--screenshot={shot}", *size, (out / "cb.html").as_uri())
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    for (x, y, w, h), background, verdict in cb["cells"].values():
        if y + h < image.height and verdict != "not run":
            assert "rgb({},{},{})".format(*image.getpixel((x + 3, y + 3))) == background
    keep = os.environ.get("LT_REPORT_SCREENSHOT_CB")
    if keep:  # to look at it: LT_REPORT_SCREENSHOT_CB=/tmp/cb.png pytest -m workflow tests/report
        shutil.copy(shot, keep)
