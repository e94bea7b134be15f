# The two commands: `make run` starts the whole hotline, `make test` runs every check.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

PACKAGES := settings models rules db connection workflows activities workers services cli migrations api audit security knowledge evaluation bench

.PHONY: run test lint typecheck unit bench histories bytecode clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The worker's sandbox re-imports the workflow module for every case (the benchmarks' baseline
# module for every baseline run): give them bytecode even where PYTHONDONTWRITEBYTECODE is set
# (compileall writes regardless, and skips fresh files).
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q $(PACKAGES)

run: bytecode
	$(BIN)/hotline run

test: lint typecheck bytecode
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy .

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

bench: bytecode
	$(BIN)/python -m bench.lifecycle

# Re-record the golden histories of tests/histories/ (under their test-only codec key). Only for
# a workflow change no running case will ever replay: CI replays these against every change.
histories: bytecode
	HOTLINE_CODEC_KEYS_FILE=tests/histories/codec-keys.json HOTLINE_RECORD_HISTORIES=1 \
		$(BIN)/python -m pytest tests/replay/test_lifecycle_paths.py -q

clean:
	rm -rf $(VENV) .hotline build *.egg-info .pytest_cache .mypy_cache .ruff_cache
