# One target per paper. Each paper's runs are added by its own workflow file as its track lands;
# until then its page lists every published number as "not run".
PAPER_RUNS = {slug: [] for slug in SLUGS}


for _slug in SLUGS:

    rule:
        name:
            _slug
        input:
            f"{REPORTS}/{_slug}.html",
