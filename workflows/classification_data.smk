# Data rules of the classification grids (helpers and the grid registration: classification.smk).


localrules:
    fetch_imagenet_lt_lists,


for _src in CIFAR_FILES:

    rule:
        name:
            f"fetch_{_src}"
        output:
            CIFAR_FILES[_src],
        params:
            py=PY,
            src=_src,
            root=lambda wc, output: Path(output[0]).parent.parent,
        log:
            f"{WORK}/logs/data/{_src}.log",
        conda:
            "../environment.yml"
        shell:
            "{params.py} -m lt_repro.data fetch {params.src} --root {params.root} > {log} 2>&1"


rule fetch_imagenet_lt_lists:
    output:
        [f"{DATA}/imagenet/ImageNet_LT_{s}.txt" for s in ("val", "test")],
    params:
        py=PY,
        root=lambda wc, output: Path(output[0]).parent,
    log:
        f"{WORK}/logs/data/imagenet-lt-lists.log",
    conda:
        "../environment.yml"
    shell:
        "{params.py} -m lt_repro.data fetch imagenet-lt --root {params.root} > {log} 2>&1"


rule classification_split:
    input:
        lambda wc: SOURCE_FILES[_split_spec(wc)["source"]],
    output:
        f"{DATA}/splits/{{slug}}/{{dataset}}.split.json",
    params:
        py=PY,
        source=lambda wc: _split_spec(wc)["source"],
        root=lambda wc: f"{DATA}/{SOURCE_ROOT[_split_spec(wc)['source']]}",
        args=lambda wc: _split_args(_split_spec(wc)),
    log:
        f"{WORK}/logs/data/{{slug}}-{{dataset}}.split.log",
    conda:
        "../environment.yml"
    shell:
        "{params.py} -m lt_repro.data split {params.source} --root {params.root} {params.args} --out {output} > {log} 2>&1"


