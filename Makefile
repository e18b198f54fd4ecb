# The two commands of the README: `make serve` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test test-services lint bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)  ## set up and start the whole system on the embedded default
	$(BIN)/maigie serve

test: $(STAMP)  ## set up and run the test suite (SQLite; PostgreSQL/Redis tests when configured)
	$(BIN)/pytest -q

test-services: $(STAMP)  ## the same suite on PostgreSQL + Redis on this machine
	MAIGIE_TEST_DATABASE_URL=$${MAIGIE_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} \
	MAIGIE_TEST_REDIS_URL=$${MAIGIE_TEST_REDIS_URL:-redis://127.0.0.1:6379/0} \
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)  ## HTTP benchmark: SQLite, then PostgreSQL + Redis when reachable (needs wrk)
	@command -v wrk >/dev/null || (apt-get install -y -q wrk || (apt-get update -q && apt-get install -y -q wrk))
	$(BIN)/python bench/http_bench.py --all --scaling root,goals_list,goals_create --profile goals_list

clean:
	rm -rf $(VENV) build *.egg-info
