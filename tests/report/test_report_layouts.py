"""Table layouts (configs/published/layouts/<slug>.yaml): the real files against the real entries, the pure
pivot, and the validator's messages on small bad layouts."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lt_repro.report import layouts
from lt_repro.report.compare import compare
from lt_repro.report.published import load_all, load_file

REPO = Path(__file__).resolve().parents[2]
PUBLISHED = REPO / "configs" / "published"


@pytest.mark.parametrize("slug", sorted(p.stem for p in PUBLISHED.glob("*.yaml")))
def test_every_published_table_has_a_layout_that_places_every_entry(slug):
    entries = load_all(PUBLISHED)[slug]
    tables = layouts.load_slug(PUBLISHED, slug, entries)
    assert list(tables) == list(dict.fromkeys(e.table for e in entries))
    placed = [e for lay in tables.values() for e in layouts.place(lay, entries).values()]
    assert sorted(e.index for e in placed) == [e.index for e in entries]


def _grid(slug: str, table: str):
    entries = load_all(PUBLISHED)[slug]
    return layouts.pivot(layouts.load_slug(PUBLISHED, slug, entries)[table], entries, entry_of=lambda e: e)


def test_cb_table2_is_the_papers_6_by_12_grid():
    pv = _grid("cb", "Table 2")
    assert [r.label for r in pv.rows] == ["Softmax", "Sigmoid", "Focal (γ=0.5)", "Focal (γ=1.0)", "Focal (γ=2.0)",
                                          "Class-Balanced"]
    assert [c.label for c in pv.columns] == ["200", "100", "50", "20", "10", "1"] * 2
    assert pv.column_groups == [("Long-Tailed CIFAR-10, imbalance", 6), ("Long-Tailed CIFAR-100, imbalance", 6)]
    assert all(c is not None for row in pv.cells for c in row)
    softmax, cb = pv.cells[0], pv.cells[5]
    assert [e.dataset for e in softmax] == [e.dataset for e in cb]  # one column = one dataset and ρ
    assert softmax[0].value_text == "34.32" and cb[0].method.startswith("Class-Balanced (best loss type Softmax")
    # the Class-Balanced row's cells carry their loss type, β and γ (the paper's rows under the table)
    detail = layouts.detail(pv.layout, pv.rows[5], pv.columns[1], cb[1])
    assert detail == "best loss type Focal, β=0.9999, γ=1.0"
    assert layouts.detail(pv.layout, pv.rows[0], pv.columns[0], softmax[0]) == ""


def test_seesaw_table1_rows_grouped_by_framework_and_sampler():
    pv = _grid("seesaw", "Table 1")
    assert len(pv.rows) == 20 and [c.label for c in pv.columns] == ["AP", "AP_r", "AP_c", "AP_f", "AP_b"]
    assert [g for g, _ in pv.row_groups] == [
        "Mask R-CNN, Random sampler, 2x", "Mask R-CNN, RFS sampler, 2x",
        "Cascade Mask R-CNN, Random sampler, 2x", "Cascade Mask R-CNN, RFS sampler, 2x"]
    assert [span for _, span in pv.row_groups] == [5, 5, 5, 5]
    assert pv.rows[3].label == "Seesaw Loss" and pv.cells[3][1].metric == "mask AP_r"


def test_eql_table7_gamma_rows_lambda_columns_leave_the_papers_empty_cells_empty():
    pv = _grid("eql", "Table 7")
    assert [r.label for r in pv.rows] == ["γ = 0", "γ = 0.75", "γ = 0.9", "γ = 0.95", "γ = 0.99"]
    assert pv.column_groups == [("λ = 3.0 × 10⁻³", 2), ("λ = 5.0 × 10⁻³", 2)]
    assert pv.cells[0][2] is None and pv.cells[0][3] is None  # γ = 0 is printed under λ = 3.0e-3 only
    assert pv.cells[2][2].method == "SEQL γ=0.9, λ=5.0e-3" and pv.cells[2][2].metric == "top-1 accuracy"
    assert layouts.detail(pv.layout, pv.rows[2], pv.columns[2], pv.cells[2][2]) == ""  # the headers say it all


def test_pivot_arranges_comparison_rows(tmp_path, write_published, entry_yaml):
    folder = write_published("x", entry_yaml(method="A", metric="m1", exp="e-a", key="k1_pct"),
                             entry_yaml(method="A", metric="m2"), entry_yaml(method="B", metric="m1"))
    entries = load_file(folder / "x.yaml")
    lay = _load_layout(folder, entries, "rows: {by: method}\n    columns: {by: metric, order: [m2, m1]}")
    pv = layouts.pivot(lay, compare(entries, {}))
    assert [[c.entry.index if c else None for c in row] for row in pv.cells] == [[1, 0], [None, 2]]
    assert [r.label for r in pv.rows] == ["A", "B"] and pv.row_groups == [] and pv.column_groups == []


def _load_layout(folder: Path, entries, body: str, table: str = "Table 1"):
    path = folder / "layouts" / "x.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f'tables:\n  "{table}":\n    ' + body + "\n")
    return layouts.load_file(path, entries)[table]


@pytest.mark.parametrize("body, message", [
    ("rows: {by: method, order: [A]}\n    columns: {by: metric}", "matches 0 rows"),
    ("rows: {by: method, order: [A, B, {label: all, where: {method: {re: '.'}}}]}\n    columns: {by: metric}",
     "matches 2 rows"),
    ("rows: {by: method}\n    columns: {by: dataset}", "fall in the same cell"),
    ("rows: {by: method, order: [A, Bee]}\n    columns: {by: metric}", "method 'Bee' is not in the table's entries"),
    ("rows: {by: method, order: [A, {where: {method: B}}]}\n    columns: {by: metric}", "needs a 'label'"),
    ("rows: {by: method, order: [A, {label: x, where: {method: {re: Z}}}]}\n    columns: {by: metric}",
     "matches no entry"),
    ("rows: {by: methods}\n    columns: {by: metric}", "must name one or more of"),
    ("rows: {by: method, sort: true}\n    columns: {by: metric}", "unknown field(s) sort"),
    ("rows: {by: method, order: [{value: A, other_work: true}, B]}\n    columns: {by: metric}",
     "marked other_work but entry 0 names our run"),
    ("rows: {by: [method, metric], order: [A]}\n    columns: {by: dataset}", "one text per 'by' field"),
])
def test_bad_layouts_say_what_to_fix(tmp_path, write_published, entry_yaml, body, message):
    folder = write_published("x", entry_yaml(method="A", metric="m1"), entry_yaml(method="A", metric="m2", exp="null"),
                             entry_yaml(method="B", metric="m1", exp="null"))
    entries = load_file(folder / "x.yaml")
    with pytest.raises(layouts.LayoutError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _load_layout(folder, entries, body)


def test_a_table_without_layout_or_a_layout_without_table_is_an_error(tmp_path, write_published, entry_yaml):
    folder = write_published("x", entry_yaml(), entry_yaml(table='"Table 2"'))
    entries = load_file(folder / "x.yaml")
    with pytest.raises(layouts.LayoutError, match="no layout for table\\(s\\) 'Table 2'"):
        _load_layout(folder, entries, "rows: {by: method}\n    columns: {by: metric}")
    with pytest.raises(layouts.LayoutError, match="no published entry has this table"):
        _load_layout(folder, entries, "rows: {by: method}\n    columns: {by: metric}", table="Table 9")
    with pytest.raises(layouts.LayoutError, match="missing; every published table needs a layout"):
        layouts.load_slug(tmp_path / "elsewhere", "x", entries)
    assert layouts.load_slug(tmp_path / "elsewhere", "x", []) == {}


def test_other_work_rows_and_groups(tmp_path, write_published, entry_yaml):
    folder = write_published("x", entry_yaml(method="Ours"), entry_yaml(method="Focal [12]", exp="null", key="null"))
    entries = load_file(folder / "x.yaml")
    lay = _load_layout(folder, entries, textwrap.dedent("""\
        rows:
              by: method
              order: [{value: Ours, group: this paper}, {value: "Focal [12]", group: other work, other_work: true}]
            columns: {by: metric}"""))
    assert [(r.label, r.group, r.other_work) for r in lay.rows.items] == [("Ours", "this paper", False),
                                                                        ("Focal [12]", "other work", True)]
    assert layouts.spans(lay.rows.items) == [("this paper", 1), ("other work", 1)]


def test_axis_level_other_work_marks_the_rows_it_covers(tmp_path, write_published, entry_yaml):
    folder = write_published("x", entry_yaml(method="Ours"), entry_yaml(method="BAGS", exp="null", key="null"),
                             entry_yaml(method="EQL", exp="null", key="null"))
    entries = load_file(folder / "x.yaml")
    lay = _load_layout(folder, entries,
                       "rows: {by: method, other_work: {method: [BAGS, EQL]}}\n    columns: {by: metric}")
    assert [(r.label, r.other_work) for r in lay.rows.items] == [("Ours", False), ("BAGS", True), ("EQL", True)]
    with pytest.raises(layouts.LayoutError, match="marked other_work but entry 0 names our run"):
        _load_layout(folder, entries, "rows: {by: method, other_work: {method: Ours}}\n    columns: {by: metric}")
    with pytest.raises(layouts.LayoutError, match="only rows can be other work"):
        _load_layout(folder, entries, "rows: {by: method}\n    columns: {by: metric, other_work: {method: EQL}}")


def test_seesaw_marks_other_papers_methods_as_other_work():
    entries = load_all(PUBLISHED)["seesaw"]
    tables = layouts.load_slug(PUBLISHED, "seesaw", entries)
    marked = {t: [r.label for r in lay.rows.items if r.other_work] for t, lay in tables.items()}
    assert marked["Table 1"] == ["Equalization Loss (EQL)", "Balanced Group Softmax (BAGS)"] * 4
    assert "cRT (decoupled)" not in marked["Table 10"] and len(marked["Table 10"]) == 6
    assert all(e.exp is None for t, lay in tables.items() for r in lay.rows.items if r.other_work
               for e in entries if e.table == t and r.matches(e))
