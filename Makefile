# Two entry points: `make serve` (run the service on its embedded defaults) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_WORKERS ?= 2

.PHONY: serve test test-cluster install install-test lint bench clean es-up es-down

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

serve: install
	$(BIN)/gpsoc init-db
	$(BIN)/gpsoc seed
	$(BIN)/gpsoc reindex
	$(BIN)/gpsoc serve --host 127.0.0.1 --port 8000

# Tests marked `cluster` stop and start search nodes: `make test-cluster` runs them alone.
test: install-test
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q -m "not cluster"

test-cluster: install-test
	$(BIN)/pytest -q -m cluster tests/search

# A local 3-node search cluster on 127.0.0.1:9200 (Java 17 + Maven; see elasticsearch/).
# Run the suite on it with ELASTICSEARCH_URL=http://127.0.0.1:9200.
es-up:
	elasticsearch/cluster up

es-down:
	elasticsearch/cluster down

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install-test
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) data .pytest_cache
