# GovQMS — two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench install messages catalogs migrate demo clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,divisions]"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

messages: install
	$(BIN)/govqms compilemessages --ignore=.venv --verbosity 0

# After adding user-facing strings: refresh both catalogs, fill the new entries (docs/i18n.md).
catalogs: install
	$(BIN)/govqms makemessages -l vi -l en --ignore=.venv --ignore=data --ignore=tests \
		--ignore=bench --no-obsolete

migrate: messages
	$(BIN)/govqms migrate --noinput

demo: migrate
	$(BIN)/govqms demo

run: demo
	@echo "GovQMS: http://$(HOST):$(PORT)/  (Ctrl+C to stop)"
	$(BIN)/govqms runserver $(HOST):$(PORT)

test: messages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: messages
	$(BIN)/python -m pip install --quiet -e ".[dev,divisions,bench]"
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) data .pytest_cache
