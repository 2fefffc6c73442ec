"""EpochStartCosineAnnealingLR gives, epoch by epoch, the learning rates of classifier-balancing's loop
(torch's CosineAnnealingLR stepped at the start of every epoch, run_networks.py)."""
import warnings

import pytest
import torch

pytest.importorskip("mmengine")


def _official_lrs(lr: float, epochs: int) -> list[float]:
    """run_networks.py train(): for epoch in 1..num_epochs: scheduler.step(), then train the epoch."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs, eta_min=0.0)
    lrs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # step() before optimizer.step(): what the official loop does
        for _ in range(epochs):
            sched.step()
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
    return lrs


def _mmengine_lrs(scheduler_type, lr: float, epochs: int) -> list[float]:
    """lrs seen by each epoch when mmengine's ParamSchedulerHook steps the scheduler after every epoch (the
    Runner sets a by-epoch scheduler's ``end`` to max_epochs)."""
    import lt_repro.mm  # noqa: F401  (registers the scheduler)
    from mmengine.optim import OptimWrapper
    from mmengine.registry import PARAM_SCHEDULERS

    opt = OptimWrapper(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=0.9))
    sched = PARAM_SCHEDULERS.build(dict(type=scheduler_type, optimizer=opt, by_epoch=True, T_max=epochs, eta_min=0.0,
                                        end=epochs))
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


def test_epoch_start_cosine_matches_the_official_loop():
    official = _official_lrs(0.2, 90)
    ours = _mmengine_lrs("EpochStartCosineAnnealingLR", 0.2, 90)
    assert ours == pytest.approx(official, rel=1e-9, abs=1e-15)
    assert ours[-1] == pytest.approx(0.0, abs=1e-15) and ours[0] < 0.2  # first value skipped, last epoch at eta_min
    stock = _mmengine_lrs("CosineAnnealingLR", 0.2, 90)
    assert stock[0] == 0.2 and stock[1:] == pytest.approx(ours[:-1], rel=1e-9)  # the same curve one epoch earlier


def test_epoch_start_cosine_resumes_where_it_stopped():
    """A resumed run loads the scheduler's state_dict over the freshly built (already stepped) one."""
    import lt_repro.mm  # noqa: F401
    from mmengine.optim import OptimWrapper
    from mmengine.registry import PARAM_SCHEDULERS

    def build():
        opt = OptimWrapper(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.2, momentum=0.9))
        return opt, PARAM_SCHEDULERS.build(dict(type="EpochStartCosineAnnealingLR", optimizer=opt, T_max=10,
                                                eta_min=0.0, end=10))

    opt, sched = build()
    for _ in range(4):
        opt.step()
        sched.step()
    state, opt_state = sched.state_dict(), opt.state_dict()
    opt2, sched2 = build()
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(state)
    for _ in range(3):
        for o, s in ((opt, sched), (opt2, sched2)):
            o.step()
            s.step()
    assert opt2.param_groups[0]["lr"] == pytest.approx(opt.param_groups[0]["lr"], rel=1e-12)
    assert opt.param_groups[0]["lr"] == pytest.approx(_official_lrs(0.2, 10)[7], rel=1e-9)


def test_epoch_start_cosine_refuses_a_later_begin():
    import lt_repro.mm  # noqa: F401
    from mmengine.optim import OptimWrapper
    from mmengine.registry import PARAM_SCHEDULERS

    opt = OptimWrapper(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.2))
    with pytest.raises(ValueError, match="starts at step 0"):
        PARAM_SCHEDULERS.build(dict(type="EpochStartCosineAnnealingLR", optimizer=opt, T_max=10, begin=2, end=12))
