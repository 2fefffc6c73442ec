# One training rule for every paper. Each paper's workflow file registers its experiments with
# `register(slug, exp, ...)` (common.smk); the rule looks the spec up by (slug, exp).
# Checkpoints live in work_dirs/ (a param, not an output): a failed or preempted attempt deletes
# nothing there, and the retry resumes from the last checkpoint.


rule train:
    input:
        unpack(lambda wc: spec_of(wc)["inputs"]),
    output:
        metrics=f"{RESULTS}/{{slug}}/{{exp}}/seed-{{seed}}/metrics.json",
        record=f"{RESULTS}/{{slug}}/{{exp}}/seed-{{seed}}/record.json",
    params:
        command=lambda wc, output: spec_of(wc)["command"](wc, Path(output.metrics).parent),
    log:
        f"{WORK}/logs/{{slug}}/{{exp}}/seed-{{seed}}.log",
    threads: lambda wc: spec_of(wc)["threads"]
    resources:
        gpu=lambda wc: spec_of(wc)["gpu"],
        cpus_per_gpu=lambda wc: spec_of(wc)["cpus_per_gpu"],
        mem_mb=lambda wc: spec_of(wc)["mem_mb"],
        runtime=lambda wc, attempt: spec_of(wc)["runtime_min"] * attempt,
    conda:
        "../environment.yml"
    shell:
        "{params.command} > {log} 2>&1"
