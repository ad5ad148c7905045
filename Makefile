# ccokit: two commands on a fresh machine with only Python 3.11.
#   make run    installs, migrates and serves the embedded default on http://127.0.0.1:8000
#   make test   installs, then runs ruff, the import-linter contracts and the test suite
PYTHON ?= python3
UV_VERSION ?= 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install run test lint clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(BIN)/ccokit: $(UV) uv.lock pyproject.toml */pyproject.toml plugins/*/pyproject.toml plugins/examples/*/pyproject.toml
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: $(BIN)/ccokit

run: install
	mkdir -p var
	$(BIN)/ccokit migrate
	$(BIN)/ccokit serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(TOOLS) var .pytest_cache .ruff_cache
