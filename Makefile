# The virtual environment lives in .venv; every target installs it first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test test-postgres bench lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Starts the cabinet on http://127.0.0.1:8000 with SQLite, the test PKI, its
# OCSP responder and the NCALayer emulator.
run: $(STAMP)
	$(BIN)/python -m kabinet.devtools.run

test: $(STAMP)
	$(BIN)/pytest

# The same suite against a PostgreSQL server (see .ci/run).
test-postgres: $(STAMP)
	KABINET_DATABASE_URL=$${KABINET_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/kabinet} $(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy kabinet

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
