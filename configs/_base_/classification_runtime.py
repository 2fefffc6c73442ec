# Runtime of the classification tracks (CB, CDB, DB, EQL and Seesaw classification, the demo): registry scope,
# imports, loops, hooks, environment and logging. No recipe value lives here: each recipe config inherits this
# file and states its own model, data, schedule and any hook of its method (e.g. CDBDifficultyHook).
# Every run also gets NonFiniteLossHook, PreemptionHook and the progress bar from the runner
# (lt_repro/train.py RUNTIME_HOOKS, setup_run), so a config's custom_hooks never needs to list them.
default_scope = "lt_repro"  # source: our choice (lt_repro.mm.registry: classification never imports mmdet.models)
custom_imports = dict(imports=["lt_repro.mm"], allow_failed_imports=False)  # source: lt_repro convention

val_cfg = dict(type="ValLoop")  # source: mmengine's validation loop (a recipe without validation sets None)
test_cfg = dict(type="TestLoop")  # source: mmengine's test loop

default_hooks = dict(
    timer=dict(type="IterTimerHook"),  # source: mmengine default
    logger=dict(type="LoggerHook", interval=100),  # source: our choice
    param_scheduler=dict(type="ParamSchedulerHook"),  # source: mmengine default
    # source: our choice: a checkpoint every epoch, so that a preempted job resumes losing at most one epoch
    checkpoint=dict(type="CheckpointHook", interval=1, max_keep_ckpts=2),
    sampler_seed=dict(type="DistSamplerSeedHook"),  # source: mmengine default
)
custom_hooks = []  # source: our choice: only a method's own hooks (the runtime hooks come from lt_repro.train)
env_cfg = dict(cudnn_benchmark=True, dist_cfg=dict(backend="nccl"))  # source: our choice
log_level = "WARNING"  # source: our choice
