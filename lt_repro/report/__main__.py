"""Command line of the report layer (called by workflows/report.smk).

  python -m lt_repro.report compare --slug SLUG --results results --published configs/published \
      --out results/SLUG/comparison.tsv
  python -m lt_repro.report html --results results --published configs/published --out reports [--only SLUG]
  python -m lt_repro.report validate --published configs/published --fidelity configs/fidelity \
      --claims configs/claims [--checks]
  python -m lt_repro.report retrace [--fidelity configs/fidelity] [--fix]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import citations, claims, fidelity, layouts
from ._io import atomic_write_text
from .compare import TSV_COLUMNS, VERDICTS, compare, summarize, to_tsv, unmatched_exps
from .published import PublishedError, load_all, load_slug
from .runs import RunsError, load_runs


def _compare(args: argparse.Namespace) -> int:
    entries = load_slug(args.published, args.slug)
    if not entries and not (Path(args.published) / f"{args.slug}.yaml").exists():
        print(f"note: {args.published}/{args.slug}.yaml does not exist; writing a header-only table",
              file=sys.stderr)
    runs = load_runs(args.results, args.slug)
    rows = compare(entries, runs)
    atomic_write_text(args.out, to_tsv(rows))
    s = summarize(rows, unmatched_exps(entries, runs))
    print(f"{args.slug}: {s.published} published, {s.compared} run, "
          + ", ".join(f"{s.counts[v]} {v}" for v in VERDICTS)
          + f"; {s.unmatched} experiment(s) without published counterpart -> {args.out}")
    return 0


def _html(args: argparse.Namespace) -> int:
    from .html import render_all  # jinja2/matplotlib only for this subcommand

    written = render_all(args.results, args.published, args.out, only=args.only, fidelity_dir=args.fidelity,
                         claims_dir=args.claims)
    print(f"wrote {len(written)} files under {args.out}/ (open {Path(args.out) / 'index.html'})")
    return 0


def _matrix(args: argparse.Namespace) -> int:
    from .matrix import SLUG, render  # jinja2/matplotlib only for this subcommand

    grids = [(SLUG, g) for g in args.grid] + [tuple(j.split("=", 1)) for j in args.join]
    path = render(args.results, grids, args.out)
    print(f"wrote {path}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    found = load_all(args.published)
    for slug, entries in found.items():
        tables = layouts.load_slug(args.published, slug, entries)
        print(f"{slug}: {len(entries)} entries OK, {len(tables)} table layouts OK")
    if not found:
        print(f"no *.yaml files in {args.published}", file=sys.stderr)
        return 1
    _validate_claims(args.claims, found)
    return _validate_fidelity(args.fidelity, args.checks)


def _validate_claims(folder: Path, entries_by_slug: dict) -> None:
    """Load every claims file (cells checked against the published entries) and evaluate it on the
    published numbers: a claim that fails there is a transcription or claim error, reported, not fatal."""
    for path in sorted(Path(folder).glob("*.yaml")):
        found = claims.load_slug(folder, path.stem, entries_by_slug.get(path.stem, []))
        results = [claims.evaluate(c, {}) for c in found]
        c = claims.counts(results)["published"]
        print(f"{path.stem}: {len(found)} claims OK; on the published numbers {c['holds']} hold, {c['fails']} fail, "
              f"{c['no published numbers']} without published pairs")
        for r in results:
            if r.published == claims.FAILS:
                print(f"warning: claim {r.claim.id!r} ({path}) fails on the published numbers", file=sys.stderr)


def _validate_fidelity(folder: Path, checks: bool) -> int:
    tables = fidelity.load_all(folder)
    failed = 0
    for slug, table in tables.items():
        c = table.counts
        line = (f"{slug}: fidelity table OK, {c['rows']} rows ({c['same']} same, {c['deviation']} deviation, "
                f"{c['not-in-official']} not-in-official), {len(table.checks)} checks, "
                f"{len(table.unchecked)} 'same' rows of config stages without checks")
        if checks:  # imports mmengine and the project's components
            bad = [r for r in (fidelity.evaluate_check(ch, table.path) for ch in table.checks) if not r.ok]
            for r in bad:
                print(f"check failed: {r.message}", file=sys.stderr)
            failed += len(bad)
            line += f", {len(table.checks) - len(bad)} pass"
        print(line)
    if not tables:
        print(f"note: no fidelity tables (*.yaml) in {folder}", file=sys.stderr)
    if failed:
        print(f"error: {failed} check(s) failed", file=sys.stderr)
        return 1
    return 0


def _retrace(args: argparse.Namespace) -> int:
    left = 0
    for table in sorted(Path(args.fidelity).glob("*.yaml")):
        if citations.table_commit(table) is None:
            print(f"{table}: no committed version to compare with (outside git, or uncommitted edits); skipped")
            continue
        stale = citations.stale_places(table)
        fixed = citations.retrace(table, stale) if args.fix else 0
        for s in stale:
            print(f"{table}: {s}" + (" (rewritten)" if args.fix and s.moved_to else ""))
        left += len(stale) - fixed
        if not stale:
            print(f"{table}: every cited line holds what it held when the table was written")
    if left:
        print(f"error: {left} cited place(s) to re-check" + ("" if args.fix else "; --fix rewrites those that moved"),
              file=sys.stderr)
    return 1 if left else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m lt_repro.report",
        description="Compare our runs with published numbers and render the HTML report. Runs are read from "
                    "RESULTS/<slug>/<exp>/seed-<n>/metrics.json (+ record.json); published numbers from "
                    "PUBLISHED/<slug>.yaml (schema: configs/published/SCHEMA.md). Outputs are written atomically.")
    sub = p.add_subparsers(dest="command", required=True, metavar="{compare,html,validate,matrix,retrace}")

    c = sub.add_parser(
        "compare", help="write one paper's comparison.tsv",
        description="Join PUBLISHED/SLUG.yaml with the runs under RESULTS/SLUG/ and write a TSV with columns: "
                    + " ".join(TSV_COLUMNS) + ". ours_mean/ours_std are the mean and sample std (ddof=1) over "
                    "seeds, n the number of seeds with the key, delta = ours_mean - published. verdict: 'match' "
                    "(|delta| <= half a unit of the published number's last printed digit), 'within tolerance' "
                    "(|delta| <= the entry's tolerance), 'mismatch', or 'not run' (n = 0).")
    c.add_argument("--slug", required=True, help="paper slug: cb, eql, seesaw, db, cdb (or demo)")
    c.add_argument("--results", type=Path, default=Path("results"), help="results root (default: results)")
    c.add_argument("--published", type=Path, default=Path("configs/published"),
                   help="folder of <slug>.yaml files (default: configs/published)")
    c.add_argument("--out", type=Path, required=True, help="TSV to write, e.g. results/SLUG/comparison.tsv")
    c.set_defaults(func=_compare)

    h = sub.add_parser(
        "html", help="render the whole report",
        description="Write OUT/index.html, OUT/<slug>.html for cb eql seesaw db cdb, OUT/demo.html and "
                    "OUT/img/*.png. Works with no results at all (every published row then says 'not run').")
    h.add_argument("--results", type=Path, default=Path("results"), help="results root (default: results)")
    h.add_argument("--published", type=Path, default=Path("configs/published"),
                   help="folder of <slug>.yaml files (default: configs/published)")
    h.add_argument("--out", type=Path, default=Path("reports"), help="output folder (default: reports)")
    h.add_argument("--only", metavar="SLUG", default=None,
                   help="re-render only this page (cb, eql, seesaw, db, cdb or demo) and index.html; pages that "
                        "do not exist yet are rendered too, so every link of the index resolves")
    h.add_argument("--fidelity", type=Path, default=None,
                   help="folder of fidelity tables shown under 'Deviations from the official code' "
                        "(default: the 'fidelity' folder next to PUBLISHED)")
    h.add_argument("--claims", type=Path, default=None,
                   help="folder of claims files <slug>.yaml (schema: configs/claims/SCHEMA.md; default: the "
                        "'claims' folder next to PUBLISHED)")
    h.set_defaults(func=_html)

    m = sub.add_parser(
        "matrix", help="render the cross-matrix page (every loss on every benchmark)",
        description="Read the benchmarks and losses of the matrix grids, the runs of each cell under "
                    "RESULTS/matrix/<dataset>_<loss>/ (and under RESULTS/<slug>/ of each joined grid), and write the "
                    "page: a loss x benchmark heat map of mean ± std (n) of the healthy runs ranked within each "
                    "benchmark, flagged runs with their reason, per-class accuracy against training count and "
                    "the CDB weights.")
    m.add_argument("--results", type=Path, default=Path("results"), help="results root (default: results)")
    m.add_argument("--grid", action="append", required=True, help="a matrix grid file (configs/matrix/grid-*.yaml)")
    m.add_argument("--join", action="append", default=[], metavar="SLUG=GRID",
                   help="also the cells of this grid, run under RESULTS/SLUG/ (e.g. db=configs/db/grid.yaml)")
    m.add_argument("--out", type=Path, required=True, help="the page to write, e.g. reports/matrix.html")
    m.set_defaults(func=_matrix)

    v = sub.add_parser("validate", help="check every PUBLISHED/*.yaml (with its layouts), CLAIMS/*.yaml and "
                                        "FIDELITY/*.yaml against its schema",
                       description="Load and validate every published-numbers file and its table layouts "
                                   "(PUBLISHED/layouts/<slug>.yaml), every claims file (evaluated on the published "
                                   "numbers) and every fidelity table; the first error names file, entry (or row) "
                                   "and field.")
    v.add_argument("--published", type=Path, default=Path("configs/published"),
                   help="folder of <slug>.yaml files (default: configs/published)")
    v.add_argument("--claims", type=Path, default=Path("configs/claims"),
                   help="folder of claims files (schema: configs/claims/SCHEMA.md; default: configs/claims)")
    v.add_argument("--fidelity", type=Path, default=Path("configs/fidelity"),
                   help="folder of fidelity tables (schema: configs/fidelity/SCHEMA.md; default: configs/fidelity)")
    v.add_argument("--checks", action="store_true",
                   help="also compare every check of the fidelity tables with the merged mmengine config "
                        "(needs mmengine and the project's components)")
    v.set_defaults(func=_validate)

    r = sub.add_parser("retrace", help="find the code lines cited by the fidelity tables that moved or changed",
                       description="Compare every block of our code that a fidelity table cites (ours_at) with the "
                                   "same lines at the table's last commit. A block found unchanged elsewhere has "
                                   "moved (--fix rewrites its line numbers); a changed block needs its row "
                                   "re-checked. Exit status 1 while any place is left to re-check.")
    r.add_argument("--fidelity", type=Path, default=Path("configs/fidelity"),
                   help="folder of fidelity tables (default: configs/fidelity)")
    r.add_argument("--fix", action="store_true", help="rewrite the line numbers of the places that only moved")
    r.set_defaults(func=_retrace)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (PublishedError, RunsError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
