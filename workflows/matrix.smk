# The cross-matrix: every single-label loss on every single-label benchmark, one shared recipe per benchmark, and DB
# against BCE, focal and class-balanced focal on COCO-MLT / VOC-MLT (configs/matrix/grid-*.yaml). Results go to
# results/matrix/; the DB grid's cells (results/db/) are joined for the multi-label columns.
#   snakemake --cores 2 matrix_cpu     the CPU part here: MNIST-LT and Fashion-MNIST-LT, 2 seeds -> reports/matrix-cpu.html
#   snakemake --profile slurm matrix   everything -> reports/matrix.html

FASHION_MNIST_FILES = expand(f"{DATA}/fashion-mnist/{{name}}", name=["train-images-idx3-ubyte",
                             "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
MATRIX_GRIDS = {"cpu": "configs/matrix/grid-cpu.yaml", "gpu": "configs/matrix/grid-gpu.yaml",
                "mlt": "configs/matrix/grid-mlt.yaml"}
_MATRIX_DATA = {**CLASSIFICATION_DATA, **DB_DATA, "mnist": MNIST_FILES, "fashion-mnist": FASHION_MNIST_FILES}
MATRIX_RUNS = {part: register_grid("matrix", path, _MATRIX_DATA) for part, path in MATRIX_GRIDS.items()}
MATRIX_JOINED = {"db": "configs/db/grid.yaml"}  # slug -> grid whose cells the matrix page joins
_MATRIX_PAGE = f"{PY} -m lt_repro.report matrix --results {RESULTS}"
_MATRIX_ALL = " ".join([f"--grid {g}" for g in MATRIX_GRIDS.values()] + [f"--join {s}={g}" for s, g in MATRIX_JOINED.items()])


localrules:
    fetch_fashion_mnist,
    matrix_page,
    matrix_cpu_page,


rule fetch_fashion_mnist:
    output:
        FASHION_MNIST_FILES,
    params:
        py=PY,
        root=lambda wc, output: Path(output[0]).parent,
    log:
        f"{WORK}/logs/data/fashion-mnist.log",
    shell:
        "{params.py} -m lt_repro.data fetch fashion-mnist --root {params.root} > {log} 2>&1"


rule matrix_page:
    input:
        runs=MATRIX_RUNS["cpu"] + MATRIX_RUNS["gpu"] + MATRIX_RUNS["mlt"] + runs_of("db"),
    output:
        f"{REPORTS}/matrix.html",
    params:
        command=f"{_MATRIX_PAGE} {_MATRIX_ALL}",
    log:
        f"{WORK}/logs/matrix/page.log",
    shell:
        "{params.command} --out {output} > {log} 2>&1"


rule matrix_cpu_page:
    input:
        runs=MATRIX_RUNS["cpu"],
    output:
        f"{REPORTS}/matrix-cpu.html",
    params:
        command=f"{_MATRIX_PAGE} --grid {MATRIX_GRIDS['cpu']}",
    log:
        f"{WORK}/logs/matrix/cpu-page.log",
    shell:
        "{params.command} --out {output} > {log} 2>&1"


rule matrix:
    input:
        f"{REPORTS}/matrix.html",


rule matrix_cpu:
    input:
        f"{REPORTS}/matrix-cpu.html",
