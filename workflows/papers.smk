# One target per paper: its comparison and report page, which need every run in PAPER_RUNS[slug]
# (filled by the paper workflow files, included before this one). Published numbers with no run
# say "not run". The comparison is a direct input too: another target may already have rendered
# a placeholder page (every page exists once any page is rendered, so that index links resolve).
for _slug in SLUGS:

    rule:
        name:
            _slug
        input:
            f"{RESULTS}/{_slug}/comparison.tsv",
            f"{REPORTS}/{_slug}.html",
