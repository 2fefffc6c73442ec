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


def probe(tmp_path: Path, page: Path) -> dict:
    """Load a probed copy of ``page`` and return what the browser reported."""
    copy = page.with_name(f"probe-{page.name}")
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = chromium(tmp_path, "--dump-dom", copy.as_uri())
    copy.unlink()
    m = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert m, f"probe did not run on {page.name}: {dom[:500]}"
    lines = m.group(1).replace("&amp;", "&").splitlines()
    return {
        "images": [line.split()[1:] for line in lines if line.startswith("IMG ")],
        "links": [line[5:] for line in lines if line.startswith("LINK ")],
        "tables": [tuple(line.split()[1:]) for line in lines if line.startswith("TABLE ")],
        "deviations": [tuple(line.split()[1:]) for line in lines if line.startswith("DEVIATION ")],
        "dom": dom,
    }


def _existing_local(url: str) -> bool:
    u = urlparse(url)
    return u.scheme != "file" or Path(unquote(u.path)).exists()


def test_report_in_headless_chromium(tmp_path, results):
    out = tmp_path / "reports"
    render_all(results, PUBLISHED, out, fidelity_dir=write_table(tmp_path / "fidelity").parent)

    index = probe(tmp_path, out / "index.html")
    targets = [u for u in index["links"] if u.startswith("file:")]
    assert len(targets) == len(SLUGS) + 2  # five papers, demo, and the nav link to itself
    assert all(_existing_local(u) for u in targets), targets

    demo = probe(tmp_path, out / "demo.html")
    ((src, size, complete),) = demo["images"]
    width, height = (int(x) for x in size.split("x"))
    assert src == "img/demo_per_class_acc.png" and complete == "true" and width > 400 and height > 200
    rows, box = demo["tables"][0][0], demo["tables"][0][1]
    assert int(rows) == 4 and int(box.split("x")[1]) > 50  # 2 header rows + 2 losses, laid out
    cells = Page(out / "demo.html", text=demo["dom"])
    nums = [c["text"] for c in cells.cells if "num" in c["attrs"].get("class", "")]
    assert sum("±" in t for t in nums) == 18 and sum("(n=3)" in t for t in nums) == 4  # + 2 empty 'few' cells
    assert all(_existing_local(u) for u in demo["links"])

    cdb = probe(tmp_path, out / "cdb.html")
    assert any(int(r) > 1 for r, _ in cdb["tables"])
    assert "57.50 ± 0.71 (n=2)" in cdb["dom"]
    metrics = [u for u in cdb["links"] if u.endswith("metrics.json")]
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

