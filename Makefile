# Two commands a fresh clone needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.12 || echo python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,viz]"
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/dmzsim run runs/sequencing.toml --quick --workers 2

# The last step re-runs a fixed subset of every published experiment and fails if any
# number moved from its reference in runs/reference/ (docs/publishing.md).
test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 -q
	$(BIN)/dmzsim verify --quick --workers 2 runs/*.toml

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) results
