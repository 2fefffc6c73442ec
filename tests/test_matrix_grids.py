"""The cross-matrix grids (configs/matrix/grid-*.yaml): the same losses everywhere, the split arguments."""
from lt_repro import grid as lt_grid

CPU, GPU = "configs/matrix/grid-cpu.yaml", "configs/matrix/grid-gpu.yaml"
PER_BENCHMARK = {"num_classes", "lambda_", "difficulty_floor"}  # values a benchmark sets (its classes, its counts)


def _losses(path):
    return lt_grid.load_grid(path).losses


def test_cpu_and_gpu_grids_define_the_same_losses():
    cpu, gpu = _losses(CPU), _losses(GPU)
    assert list(cpu) == list(gpu)
    for name in cpu:
        a, b = cpu[name]["model.loss"], gpu[name]["model.loss"]
        assert {k: v for k, v in a.items() if k not in PER_BENCHMARK} == {
            k: v for k, v in b.items() if k not in PER_BENCHMARK}, name
    assert "difficulty_floor" not in cpu["cdb"]["model.loss"]
    assert cpu["cdb-guarded"]["model.loss"]["difficulty_floor"] > 0
    # the focal row is the CB paper's form, as configs/cb/grid.yaml
    cb_focal = _losses("configs/cb/grid.yaml")["focal"]["model.loss"]
    assert cpu["focal"]["model.loss"] == cb_focal


def test_split_arguments_of_the_matrix_benchmarks():
    exps = {e.split.dataset: e.split for path in (CPU, GPU)
            for e in lt_grid.experiments(lt_grid.load_grid(path), slug="matrix", data_root="data")}
    assert exps["mnist-lt-r100"].args == "--rho 100 --n-max 5000 --val-per-class 50"
    assert exps["fashion-mnist-lt-r100"].root == "data/fashion-mnist"
    assert exps["cifar100lt-r100"].args == "--rho 100 --protocol cui2019 --seed 0 --val-per-class 25"
    assert exps["imagenetlt"].args == ""
