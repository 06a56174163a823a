# The README's quick start: `make run` (set up .venv, run the recognizer on the demo clip) and
# `make test` (set up the same .venv with the test extras, run the tests); `make lint` runs ruff
# with the rules in pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT := out

.PHONY: run test lint bench train clean

run: $(VENV)/.installed-run
	@mkdir -p $(OUT)
	$(BIN)/realtime-digits demo --save $(OUT)/demo_annotated.mp4 --json $(OUT)/demo.jsonl

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-lint
	$(BIN)/ruff check .

bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks

train: $(VENV)/.installed-run
	$(BIN)/python train_export.py

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10) and "Python 3.10+ is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

$(VENV)/.installed-lint: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[lint]'
	touch $@ $(VENV)/.installed-run

clean:
	rm -rf $(VENV) $(OUT) *.egg-info
