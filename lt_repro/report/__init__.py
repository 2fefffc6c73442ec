"""Comparison of our runs with published numbers, and the HTML report.

published.py  schema + loading of configs/published/<slug>.yaml
layouts.py    configs/published/layouts/<slug>.yaml: each published table's rows and columns; the pivot
claims.py     configs/claims/<slug>.yaml: claims as comparisons of cells, evaluated on published numbers and runs
fidelity.py   schema + loading of configs/fidelity/<slug>.yaml (recipe vs official code) and its config checks
sources.py    the forms of a source a reader can open (arXiv id, GitHub file at a commit, URL) and their links
runs.py       reading results/<slug>/<exp>/seed-<n>/{metrics,record}.json
compare.py    pure functions: aggregation (mean ± sample std, n), verdicts, comparison rows
demo.py       pure functions for the MNIST-LT demo table (ρ × loss cells, per-class means)
health.py     pure functions: run health (non-finite, collapsed, zero-weight class, diverged), flagged runs apart
cdb_weights.py CDB's per-epoch class weights from record.json history, the zero-weight findings, their figure
matrix.py     the cross-matrix page: loss x benchmark heat map of the healthy runs, ranks, per-class figure
scatter.py    pure data of the 'ours against published' scatter
plots.py      matplotlib (Agg) figures
html.py       reports/index.html, reports/<slug>.html, reports/demo.html (jinja2 templates)
_io.py        atomic writes (temporary file in the same folder, then os.replace)
__main__.py   CLI: ``python -m lt_repro.report {compare,html,validate}``

No torch import anywhere in this package: it must run where only the report stack is installed.
"""
