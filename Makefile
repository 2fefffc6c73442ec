# The two commands of the README. Each sets up what is missing (idempotent), then runs.
#   make demo        build .venv, run the embedded MNIST-LT demo, write reports/index.html
#   make test        also install the test system packages (SLURM, munge, Chromium) and mmcv's ops; lint; all tests
#   make test-fast   the unit tier only: no test marked slow or workflow (training, Snakemake, SLURM, Chromium)
SHELL := /bin/bash
VENV := .venv
CORES ?= $(shell nproc)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: demo test test-fast lint setup help
help:
	@sed -n '2,4p' Makefile

setup:
	scripts/setup.sh

demo: setup
	snakemake --cores $(CORES) demo
	@echo "report: $(CURDIR)/reports/index.html"

# the cross-matrix's CPU part (MNIST-LT and Fashion-MNIST-LT x 9 losses x 2 seeds); `snakemake matrix` is all of it
.PHONY: matrix-cpu
matrix-cpu: setup
	snakemake --cores $(CORES) matrix_cpu
	@echo "report: $(CURDIR)/reports/matrix-cpu.html"

lint:
	ruff check lt_repro tests benchmarks scripts

test:
	scripts/setup.sh --test
	$(MAKE) lint
	python -m pytest $(PYTEST_ARGS)

test-fast:
	scripts/setup.sh --ops
	python -m pytest -m "not slow and not workflow" $(PYTEST_ARGS)
