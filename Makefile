# Two commands: `make run` (set up, seed demo data, start the service) and `make test`.
# Both install what they need: Debian packages when missing, and a virtualenv at .venv.

VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-stamp
PYTHON  ?= python3

export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup run test test-dates lint typecheck unit bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt scripts/ensure-system-packages
	scripts/ensure-system-packages
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: setup
	scripts/run-local

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest

test: lint typecheck unit

# The date-sensitive tests again under libfaketime, at dates far from today (see the script).
test-dates: setup
	scripts/test-other-dates

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis test-artifacts
