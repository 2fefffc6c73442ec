# One target per paper: its report page, which needs every run in PAPER_RUNS[slug] (filled by the
# paper workflow files, included before this one). Published numbers with no run say "not run".
for _slug in SLUGS:

    rule:
        name:
            _slug
        input:
            f"{REPORTS}/{_slug}.html",
