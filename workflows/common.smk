# Helpers shared by every workflow file: paths and the experiment registry. No rules here.
# Grids are loaded, validated and expanded by lt_repro.grid; the paper files only register what it returns.
import dataclasses
import sys
from pathlib import Path

from lt_repro import grid as lt_grid

DATA = config["data_root"]
RESULTS = config["results_root"]
WORK = config["work_root"]
REPORTS = config["reports_root"]
PY = sys.executable  # the environment Snakemake runs in (the project .venv)


wildcard_constraints:
    # path pieces built from wildcards stay inside results/, work_dirs/ and data/
    slug=r"[a-z0-9]+",
    exp=r"[A-Za-z0-9][A-Za-z0-9.+-]*(_[A-Za-z0-9][A-Za-z0-9.+-]*)+",  # e.g. imagenetlt_r10_cdb-ce
    seed=r"\d+",
    dataset=r"[A-Za-z0-9][A-Za-z0-9.+-]*",


EXPERIMENTS = {}  # (slug, exp) -> (lt_grid.Experiment, its Snakemake inputs); filled by register()
RUNS = {}  # slug -> the metrics.json files its comparison joins; filled by register()
SPLITS = {}  # (slug, dataset) -> (lt_grid.Split, the data files it is made from); filled by register_grid()


def checked(fn, *args, **kwargs):
    """Call an lt_grid function; a grid that does not fit its schema (workflows/schemas/) or names something
    undefined stops the workflow with the file, the key and a "did you mean"."""
    try:
        return fn(*args, **kwargs)
    except lt_grid.ConfigError as e:
        raise WorkflowError(str(e)) from None


def metrics_files(slug, exp, seeds):
    return [f"{RESULTS}/{slug}/{exp}/seed-{s}/metrics.json" for s in seeds]


def register(experiment, *, inputs, report=True):
    """Declare one experiment (all its seeds) for the train rule; returns its metrics.json files.
    With report=True they are inputs of the paper's comparison (runs_of)."""
    key = (experiment.slug, experiment.name)
    if key in EXPERIMENTS:
        raise WorkflowError(f"experiment {experiment.slug}/{experiment.name} is registered twice")
    EXPERIMENTS[key] = (experiment, inputs)
    runs = metrics_files(experiment.slug, experiment.name, experiment.seeds)
    if report:
        RUNS.setdefault(experiment.slug, []).extend(runs)
    return runs


def register_grid(slug, path, data_files, *, more_inputs=None, more_overrides=None):
    """Register every experiment of a paper grid. data_files: data source -> the files its split is made
    from (outputs of the data rules; [] for user-provided data). more_inputs / more_overrides: data source ->
    named inputs / `--set` overrides (applied last) that its experiments also need beyond the split, e.g.
    extracted frames or weights under the data root. Returns the metrics.json files."""
    runs = []
    for exp in checked(lt_grid.experiments, checked(lt_grid.load_grid, path), slug=slug, data_root=DATA):
        source = exp.split.source
        if source not in data_files:
            raise WorkflowError(f"{path}: no data rules for source '{source}' in the {slug} workflow")
        files = data_files[source]
        known = SPLITS.setdefault((slug, exp.split.dataset), (exp.split, files))
        if known[0] != exp.split:
            raise WorkflowError(f"{path}: dataset '{exp.split.dataset}' of '{slug}' is defined twice, differently")
        if more_overrides and source in more_overrides:
            exp = dataclasses.replace(exp, overrides={**exp.overrides, **more_overrides[source]})
        inputs = {"config": exp.config, "split": exp.split.path, "data": files}
        if exp.stage1:
            inputs["stage1"] = metrics_files(slug, exp.stage1, exp.seeds)
        runs += register(exp, inputs={**inputs, **(more_inputs or {}).get(source, {})})
    return runs


def experiment_of(wc):
    try:
        return EXPERIMENTS[(wc.slug, wc.exp)][0]
    except KeyError:
        known = sorted(e for s, e in EXPERIMENTS if s == wc.slug)
        raise WorkflowError(f"no experiment '{wc.exp}' in paper '{wc.slug}'; known: {known[:20]}") from None


def inputs_of(wc):
    experiment_of(wc)
    return EXPERIMENTS[(wc.slug, wc.exp)][1]


def split_of(wc):
    try:
        return SPLITS[(wc.slug, wc.dataset)]
    except KeyError:
        raise WorkflowError(f"no dataset '{wc.dataset}' in the grids of '{wc.slug}'") from None


def runs_of(slug):
    """The metrics.json files a paper's (or the demo's) comparison joins."""
    return RUNS.get(slug, [])


def paper_target(slug):
    """A paper's target: its comparison and report page, which need every run in runs_of(slug). Published
    numbers with no run say "not run". The comparison is a direct input too: another target may already
    have rendered a placeholder page (every page exists once any page is rendered, so that index links
    resolve)."""
    return [f"{RESULTS}/{slug}/comparison.tsv", f"{REPORTS}/{slug}.html"]


# K: shares_gpu jobs per GPU, read back from the profile's limits gpu_slots / gpu (profiles/local)
RUNS_PER_GPU = lt_grid.runs_per_gpu({k: getattr(v, "value", v) for k, v in workflow.global_resources.items()})


def gpu_request(wc):
    """GPU resources of a training job (lt_repro.grid.Resources.gpu_request). A grid's `shares_gpu` jobs share
    a GPU when the profile packs them: K > 1 (profiles/local) or config shared_gpu_gres (profiles/slurm,
    e.g. shard:1)."""
    return experiment_of(wc).resources.gpu_request(RUNS_PER_GPU, config["shared_gpu_gres"])
