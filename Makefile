# Two commands: `make run` (set up, seed demo data, start the service) and `make test`.
# Both install what they need: Debian packages when missing, and a virtualenv at .venv.

VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-stamp
PYTHON  ?= python3

export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup run test check suite quick test-dates lint typecheck bench clean

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

# The whole suite, in parallel workers (pytest-xdist): each worker has its own PostgreSQL
# server and SQLite template; work only one should do (rendering all prompt audio) is shared.
WORKERS ?= auto
suite: setup
	$(BIN)/pytest -n $(WORKERS) --dist worksteal

test: lint typecheck suite

# While working: lint, types and one case of every fast test, on SQLite only (tests/conftest.py,
# --quick); `make test` runs every case on both databases before a change lands.
quick: setup
	$(BIN)/pytest -n $(WORKERS) --dist worksteal -q --quick

check: lint typecheck quick

# The date-sensitive tests again under libfaketime, at dates far from today (see the script).
test-dates: setup
	scripts/test-other-dates

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis test-artifacts
