# One training rule for every paper. Each paper's workflow file registers its experiments with
# `register` / `register_grid` (common.smk); the rule looks the experiment up by (slug, exp) and runs
# the command lt_repro.grid.command renders for it.
# Checkpoints live in work_dirs/ (a param, not an output): a failed or preempted attempt deletes
# nothing there, and the retry resumes from the last checkpoint.


# jobs on a shared SLURM GPU ask for no whole GPU, so the plugin would route them to the CPU partition:
# the slurm profile names the GPU partition for them when it differs from the CPU one
SHARED_GPU_PARTITION = (
    {"slurm_partition": lambda wc: config["shared_gpu_partition"] if gpu_request(wc)["gres"] else None}
    if config["shared_gpu_partition"]
    else {}
)


rule train:
    input:
        unpack(inputs_of),
    output:
        metrics=f"{RESULTS}/{{slug}}/{{exp}}/seed-{{seed}}/metrics.json",
        record=f"{RESULTS}/{{slug}}/{{exp}}/seed-{{seed}}/record.json",
    params:
        command=lambda wc, output: lt_grid.command(
            experiment_of(wc), wc.seed, python=PY, work_root=WORK, out_dir=Path(output.metrics).parent,
            threads=config["threads_per_cpu_job"],
        ),
    log:
        f"{WORK}/logs/{{slug}}/{{exp}}/seed-{{seed}}.log",
    threads: lambda wc: experiment_of(wc).resources.threads
    resources:
        gpu=lambda wc: gpu_request(wc)["gpu"],
        gpu_slots=lambda wc: gpu_request(wc)["gpu_slots"],
        gres=lambda wc: gpu_request(wc)["gres"],  # None (not set) unless the job shares a SLURM GPU
        **SHARED_GPU_PARTITION,
        cpus_per_gpu=lambda wc: experiment_of(wc).resources.cpus_per_gpu,
        mem_mb=lambda wc: experiment_of(wc).resources.mem_mb,
        runtime=lambda wc, attempt: lt_grid.runtime_request(experiment_of(wc).resources.runtime_min, attempt,
                                                             config["max_runtime_min"]),
    shell:
        "{params.command} > {log} 2>&1"
