# lt_repro: one target per paper (cb, eql, seesaw, db, cdb), the embedded `demo` and the cross-matrix (`matrix`).
#   snakemake --cores 2 demo                 # the default: real MNIST-LT on a CPU, minutes
#   snakemake --profile slurm cb             # a paper's whole grid on a SLURM cluster
#   snakemake --cores 2 matrix_cpu           # the cross-matrix's CPU part (`matrix`: every loss x benchmark)
# Every rule runs lt_repro in the Python environment Snakemake itself runs in (the project .venv).
from snakemake.utils import min_version, validate

from lt_repro import grid as lt_grid

min_version("9.0")


configfile: "configs/workflow.yaml"


WORKFLOW_SCHEMA = "workflows/schemas/workflow.schema.yaml"
try:  # the settings and any --config on top; defaults come from the schema
    validate(config, WORKFLOW_SCHEMA)
except WorkflowError:  # again, for a message with the key path and a "did you mean"
    lt_grid.validate(config, WORKFLOW_SCHEMA, "configs/workflow.yaml (with any --config on top)")
    raise


# generic helpers and rules first, then one file per paper (each registers its grids and defines its target)
include: "workflows/common.smk"
include: "workflows/train.smk"
include: "workflows/report.smk"
include: "workflows/classification_data.smk"
include: "workflows/lvis.smk"
include: "workflows/cb.smk"
include: "workflows/eql.smk"
include: "workflows/seesaw.smk"
include: "workflows/db.smk"
include: "workflows/cdb.smk"
include: "workflows/demo.smk"
include: "workflows/matrix.smk"


rule all:
    default_target: True
    input:
        rules.demo.input,
