# mnist-mlp-kit: `make run` sets everything up and runs the main job; `make test` sets up and runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: setup data run train test stubs bench clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

setup: $(INSTALLED) data

data: $(INSTALLED)
	$(BIN)/python -m data.fetch

run: setup train

train: setup
	$(BIN)/python -m assignment.train --submission solution

test: setup
	$(BIN)/python -m autograder generate --check
	$(BIN)/python -m pytest -q tests

stubs: $(INSTALLED)
	$(BIN)/python -m autograder generate

bench: setup
	$(BIN)/pip install --quiet 'torch==2.13.0'
	$(BIN)/python -m bench.speed

clean:
	rm -rf $(VENV) runs dist
