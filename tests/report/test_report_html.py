"""HTML rendering from a tmp results tree written in the real on-disk format."""
from __future__ import annotations

from pathlib import Path

import pytest

from lt_repro.report import __main__ as cli
from lt_repro.report.html import SLUGS, render_all

from ._pages import Page

REPO = Path(__file__).resolve().parents[2]
PUBLISHED = REPO / "configs" / "published"


def test_html_without_any_results(tmp_path):
    out = tmp_path / "reports"
    written = render_all(tmp_path / "no-results", PUBLISHED, out)
    expected = {f"{s}.html" for s in SLUGS} | {f"data/{s}.tsv" for s in SLUGS} | {"index.html", "demo.html"}
    assert {p.relative_to(out).as_posix() for p in written} == expected
    for slug in SLUGS:
        page = Page(out / f"{slug}.html")
        verdicts = [c["attrs"]["data-verdict"] for c in page.cells if "data-verdict" in c["attrs"]]
        assert verdicts and set(verdicts) == {"not run"}
    cdb = Page(out / "cdb.html")
    published = [c for c in cdb.cells if "data-verdict" in c["attrs"]]
    assert len(published) == 5 and any(c["text"].startswith("57.43") for c in published)
    assert all(len(c["attrs"]["title"]) > 40 for c in published)  # source and cell on every published cell
    assert {"https://paperswithcode2.com/paper/167710", "https://openaccess.thecvf.com/content/ACCV2020/html/Sinha_"
            "Class-Wise_Difficulty-Balanced_Loss_for_Solving_Class-Imbalance_ACCV_2020_paper.html"} <= set(cdb.links)
    assert "https://arxiv.org/abs/1901.05555v1" in Page(out / "cb.html").links  # footnote links to the source
    seesaw = Page(out / "seesaw.html").links
    assert "https://github.com/open-mmlab/mmdetection/blob/7e33fc52d4eae0900a18ccee79367b36e9ffff92/configs/" \
           "seesaw_loss/README.md" in seesaw
    assert "No demo runs yet" in (out / "demo.html").read_text()
    index = Page(out / "index.html")
    assert sorted(set(index.links)) == sorted([f"{s}.html" for s in SLUGS] + ["demo.html", "index.html"])
    assert all(p.is_file() for p in index.local_targets())
    assert "No runs yet." in (out / "index.html").read_text()


def test_paper_page_numbers_links_and_verdicts(tmp_path, results):
    out = tmp_path / "reports"
    render_all(results, PUBLISHED, out)
    page = Page(out / "cdb.html")
    cell = next(c for c in page.cells if "data-verdict" in c["attrs"] and "57.50" in c["text"])
    assert "57.50 ± 0.71 (n=2)" in cell["text"]  # best_val/ key, as cdb.yaml asks, mean ± sample std
    assert "Δ +0.070 · within tolerance" in cell["text"] and "within-tolerance" in cell["attrs"]["class"]
    verdicts = [c["attrs"]["data-verdict"] for c in page.cells if "data-verdict" in c["attrs"]]
    assert verdicts.count("within tolerance") == 1 and verdicts.count("not run") == 4
    targets = page.local_targets()
    metrics_links = set(t for t in targets if t.name == "metrics.json")
    assert len(metrics_links) == 3  # two seeds of the matched exp, one of the unmatched one
    assert all(t.is_file() and str(t).startswith(str(results.resolve())) for t in metrics_links)
    assert all(t.exists() for t in targets)
    html = (out / "cdb.html").read_text()
    assert "cifar100lt-r100_ce" in html and "61.50 (n=1)" in html  # run without published counterpart
    assert "many &gt; 100 training images" in html  # thresholds of the metrics shown
    assert "unverified" in html  # the entries with verified: false
    index = (out / "index.html").read_text()
    assert "5 published, 1 run" in index and "0 match, 1 within tolerance, 0 mismatch" in index


def test_demo_page_table_and_plot(tmp_path, results):
    out = tmp_path / "reports"
    render_all(results, PUBLISHED, out)
    page = Page(out / "demo.html")
    assert page.images == ["img/demo_per_class_acc.png"]
    png = out / "img" / "demo_per_class_acc.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    nums = [c["text"] for c in page.cells if "num" in c["attrs"].get("class", "").split()]
    assert len(nums) == 2 * 2 * 5  # 2 losses x 2 ratios x (error, mean-class, many, medium, few)
    # ρ = 10 has no class under 100 training images: its 'few' cells are empty ('–'); n shown with the error
    assert sum("±" in t for t in nums) == 18 and nums.count("–") == 2
    assert [t.split(" seed")[0] for t in nums if "(n=" in t] == [t.split(" seed")[0] for t in nums[::5]]
    assert all("(n=3)" in t for t in nums[::5])
    html = (out / "demo.html").read_text()
    assert html.index("<th>ce</th>") < html.index("<th>cdb</th>")  # baseline first
    assert "ρ = 10" in html and "ρ = 100" in html
    assert "many &gt; 1000 training images" in html and "few &lt; 100" in html
    assert "no MNIST result printed as a number" in html
    assert all(t.exists() for t in page.local_targets())
    assert not list(out.rglob(".*.tmp"))  # atomic writes leave no temp files


def test_cli_html_help_and_run(tmp_path, results, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["html", "--help"])
    assert info.value.code == 0 and "not run" in capsys.readouterr().out
    out = tmp_path / "r"
    assert cli.main(["html", "--results", str(results), "--published", str(PUBLISHED), "--out", str(out)]) == 0
    assert (out / "index.html").is_file() and (out / "img" / "demo_per_class_acc.png").is_file()


def test_only_rerenders_one_page_and_the_index(tmp_path, results, capsys):
    out = tmp_path / "reports"
    assert cli.main(["html", "--results", str(results), "--published", str(PUBLISHED), "--out", str(out),
                     "--only", "cdb"]) == 0
    assert {p.name for p in out.glob("*.html")} == {f"{s}.html" for s in SLUGS} | {"index.html", "demo.html"}
    (out / "eql.html").write_text("stale")
    (out / "cdb.html").write_text("stale")
    (out / "index.html").write_text("stale")
    render_all(results, PUBLISHED, out, only="cdb")
    assert (out / "eql.html").read_text() == "stale"  # other existing pages are left alone
    assert "57.50 ± 0.71 (n=2)" in (out / "cdb.html").read_text()
    assert "demo.html" in (out / "index.html").read_text()
    assert cli.main(["html", "--out", str(out), "--only", "nope"]) == 2
    assert "unknown page" in capsys.readouterr().err
