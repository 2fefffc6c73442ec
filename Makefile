# The two commands of the README. Each sets up what is missing (idempotent), then runs.
#   make demo   build .venv, run the embedded MNIST-LT demo, write reports/index.html
#   make test   also install the test system packages (SLURM, munge, Chromium), run all tests
SHELL := /bin/bash
VENV := .venv
CORES ?= $(shell nproc)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: demo test setup help
help:
	@sed -n '2,3p' Makefile

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

test:
	scripts/setup.sh --test
	python -m pytest $(PYTEST_ARGS)
