# Comparison with the published numbers, and the HTML pages. Local rules: no GPU, no internet.


localrules:
    compare,
    report_page,


rule compare:
    input:
        runs=lambda wc: runs_of(wc.slug),
    output:
        f"{RESULTS}/{{slug}}/comparison.tsv",
    params:
        py=PY,
        results=lambda wc, output: Path(output[0]).parents[1],
    log:
        f"{WORK}/logs/{{slug}}/compare.log",
    shell:
        "{params.py} -m lt_repro.report compare --slug {wildcards.slug} --results {params.results} "
        "--published configs/published --out {output} > {log} 2>&1"


rule report_page:
    input:
        f"{RESULTS}/{{slug}}/comparison.tsv",
        # the page's published numbers, their table layouts and its claims: an edit re-renders the page
        data=lambda wc: [
            f
            for f in (
                f"configs/published/{wc.slug}.yaml",
                f"configs/published/layouts/{wc.slug}.yaml",
                f"configs/claims/{wc.slug}.yaml",
            )
            if Path(f).exists()
        ],
    output:
        f"{REPORTS}/{{slug}}.html",
    params:
        py=PY,
        results=lambda wc, input: Path(input[0]).parents[1],
        reports=lambda wc, output: Path(output[0]).parent,
    log:
        f"{WORK}/logs/{{slug}}/report.log",
    shell:
        # also refreshes reports/index.html, which lists every page with its status
        "{params.py} -m lt_repro.report html --results {params.results} --published configs/published "
        "--out {params.reports} --only {wildcards.slug} > {log} 2>&1"
