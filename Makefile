# Every dependency comes from here: a venv in .venv with the project and its dev extra.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck pytest bench demo docs coverage clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest

test: lint typecheck pytest

coverage: install
	$(BIN)/coverage run -m pytest && $(BIN)/coverage report --skip-covered

bench: install
	$(BIN)/python bench/run.py

demo: install
	bash docs/demo.sh

docs: install
	$(BIN)/python -m cloudevents_cli.cli.reference > docs/commands.md
	$(BIN)/cloudevents schema > docs/cloudevents.schema.json

clean:
	rm -rf $(VENV) build dist *.egg-info
