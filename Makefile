# mnist-mlp-kit: `make run` sets everything up and runs the main job; `make test` sets up and runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: setup sandbox browser data run train grade-samples test stubs bench clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

setup: $(INSTALLED) data sandbox

# bubblewrap isolates the autograder's workers; without it the autograder falls back to an unprivileged uid.
sandbox:
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && apt-get install -y -qq bubblewrap) >/dev/null 2>&1; } || \
	  echo "note: bubblewrap is not installed (apt-get install bubblewrap); the autograder will use its fallback"

# headless Chromium + Selenium for the report/dashboard tests in tests/test_reports.py (they skip without them).
browser: $(INSTALLED)
	@{ command -v chromium && command -v chromedriver; } >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && apt-get install -y -qq chromium chromium-driver) >/dev/null 2>&1; } || \
	  echo "note: chromium/chromium-driver are not installed (apt-get install chromium chromium-driver); browser tests will skip"
	@$(BIN)/python -c "import selenium" 2>/dev/null || $(BIN)/pip install --quiet -e '.[browser]'

data: $(INSTALLED)
	$(BIN)/python -m data.fetch

run: setup train grade-samples

train: setup
	$(BIN)/python -m assignment.train --submission solution

grade-samples: setup
	rm -rf runs/class runs/class-graded
	$(BIN)/python -m autograder samples runs/class
	$(BIN)/python -m autograder grade-all runs/class -j 2 --out runs/class-graded

test: setup course-deps browser
	$(BIN)/python -m autograder generate --check
	$(BIN)/python -m pytest -q -n 3 --dist loadfile tests

stubs: $(INSTALLED)
	$(BIN)/python -m autograder generate

bench: setup
	$(BIN)/pip install --quiet 'torch==2.13.0'
	$(BIN)/python -m bench.speed

clean:
	rm -rf $(VENV) runs dist

.PHONY: handout gradescope

# dist/student.zip: the students' handout (stubs, given code, public tests, data fetcher, README.md)
handout: $(INSTALLED)
	$(BIN)/python -m autograder handout

# dist/gradescope_autograder.zip: setup.sh + run_autograder at its root, per Gradescope's contract
gradescope: $(INSTALLED)
	$(BIN)/python -m autograder gradescope

.PHONY: nbgrader course-deps
COURSE_INSTALLED := $(VENV)/.course-installed

# nbgrader and ipykernel (the `course` extra): needed by `make nbgrader`'s users and by tests/test_nbgrader.py
course-deps: $(COURSE_INSTALLED)

$(COURSE_INSTALLED): $(INSTALLED) pyproject.toml
	$(BIN)/pip install --quiet -e '.[course,test]'
	touch $@

# dist/nbgrader/: an nbgrader course directory (nbgrader_config.py, source/mlp_mnist/mlp_mnist.ipynb)
nbgrader: course-deps
	$(BIN)/python -m autograder nbgrader
