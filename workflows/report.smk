# Comparison with the published numbers, and the HTML pages. Local rules: no GPU, no internet.


localrules:
    compare,
    report_page,


def runs_of(slug):
    if slug == "demo":
        return DEMO_RUNS
    return PAPER_RUNS.get(slug, [])


rule compare:
    input:
        runs=lambda wc: runs_of(wc.slug),
    output:
        f"{RESULTS}/{{slug}}/comparison.tsv",
    shell:
        "{PY} -m lt_repro.report compare --slug {wildcards.slug} --results {RESULTS} "
        "--published configs/published --out {output}"


rule report_page:
    input:
        f"{RESULTS}/{{slug}}/comparison.tsv",
    output:
        f"{REPORTS}/{{slug}}.html",
    shell:
        # also refreshes reports/index.html, which lists every page with its status
        "{PY} -m lt_repro.report html --results {RESULTS} --published configs/published "
        "--out {REPORTS} --only {wildcards.slug}"
