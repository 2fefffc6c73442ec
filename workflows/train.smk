# Generic training rule; paper files reuse it with `use rule train_classifier as … with:`.
# Checkpoints live in work_dirs/ (a param, not an output): a failed or preempted attempt deletes
# nothing there, and the retry resumes from the last checkpoint.


rule train_classifier:
    input:
        config="configs/demo/cnn_1xb128-6e_mnist-lt.py",
        split=f"{DATA}/demo/mnist-lt-r10.split.json",
    output:
        metrics=f"{RESULTS}/demo/{{exp}}/seed-{{seed}}/metrics.json",
        record=f"{RESULTS}/demo/{{exp}}/seed-{{seed}}/record.json",
    params:
        work_dir=lambda wc: run_dir(WORK, "demo", wc.exp, wc.seed),
        out_dir=lambda wc, output: str(Path(output.metrics).parent),
        overrides="",
        meta="{}",
        slug="demo",
    log:
        f"{WORK}/logs/demo/{{exp}}/seed-{{seed}}.log",
    threads: 1
    resources:
        gpu=0,
        mem_mb=4000,
        runtime=runtime_min(30),
    shell:
        "{PY} -m lt_repro.train {input.config} --work-dir {params.work_dir} --out-dir {params.out_dir} "
        "--seed {wildcards.seed} --slug {params.slug} --exp {wildcards.exp} --threads {threads} "
        "--meta '{params.meta}' --set {params.overrides} > {log} 2>&1"
