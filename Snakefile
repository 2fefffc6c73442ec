# lt_repro: one target per paper (cb, eql, seesaw, db, cdb) and the embedded `demo`.
#   snakemake --cores 2 demo                 # the default: real MNIST-LT on a CPU, minutes
#   snakemake --profile slurm cb             # a paper's whole grid on a SLURM cluster
configfile: "configs/workflow.yaml"


include: "workflows/common.smk"
include: "workflows/train.smk"
include: "workflows/report.smk"
include: "workflows/demo.smk"
include: "workflows/classification.smk"
include: "workflows/classification_data.smk"
include: "workflows/cb.smk"
include: "workflows/cdb.smk"
include: "workflows/eql.smk"
include: "workflows/seesaw.smk"
include: "workflows/detection.smk"
include: "workflows/detection_data.smk"
include: "workflows/db.smk"
include: "workflows/papers.smk"


rule all:
    default_target: True
    input:
        rules.demo.input,
