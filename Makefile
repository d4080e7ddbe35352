# markaz — make run | make test | make bench | make lint
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
MARKAZ := $(VENV)/bin/markaz
DB ?= sqlite:///./var/markaz.db
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: install install-test run test lint bench postgres-bin chromium-bin sitrep-deps clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV) 2>/dev/null || python3 -m venv $(VENV)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $@

$(TEST_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

install: $(STAMP)

install-test: $(TEST_STAMP) chromium-bin postgres-bin sitrep-deps

# Debian's Chromium for the browser tests (Playwright drives it; nothing downloads a browser).
chromium-bin:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing Debian's Chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# Situation reports: Pango for WeasyPrint's PDF, fonts with Arabic and Persian, and
# poppler-utils (pdftoppm, pdftotext) for the tests that look at the PDF.
sitrep-deps:
	@if ! ldconfig -p | grep -q libpangoft2-1.0 || ! fc-list | grep -q "Noto Naskh Arabic" \
		|| ! command -v pdftoppm >/dev/null; then \
		echo "installing Pango, Noto fonts and poppler-utils for situation reports"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-core fonts-dejavu-core poppler-utils >/dev/null; \
	fi

# The PostgreSQL server binaries for the storage tests (each test gets a throwaway cluster).
postgres-bin:
	@if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "installing the PostgreSQL server package for the tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi

run: $(STAMP) sitrep-deps
	@mkdir -p var
	$(MARKAZ) init --database-url $(DB)
	$(MARKAZ) demo --database-url $(DB)
	$(MARKAZ) serve --database-url $(DB) --host 127.0.0.1 --port 8600

test: install-test
	$(VENV)/bin/pytest -q -p no:cacheprovider

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

# The benchmarks use test packages (medallion for the TAXII comparison) and PostgreSQL.
bench: install-test
	@mkdir -p bench/results
	$(PY) bench/ingest.py --workers 2 --no-worker --output bench/results/ingest.json
	$(PY) bench/ingest.py --workers 2 --output bench/results/ingest-with-worker.json
	$(PY) bench/dissemination.py --output bench/results/dissemination.json
	$(PY) bench/taxii.py --output bench/results/taxii.json
	$(PY) bench/extract.py
	$(PY) bench/sitrep.py --output bench/results/sitrep.json
	$(PY) bench/fusion.py --output bench/results/fusion.json
	$(PY) bench/fusion.py --postgresql --observations 100000 --output bench/results/fusion-postgresql.json
	$(PY) bench/ratelimit.py --output bench/results/ratelimit.json
	$(PY) bench/fuzz_inputs.py
	$(PY) bench/load.py --duration 60 --clients 50 --output bench/results/load.json

clean:
	rm -rf $(VENV) var build *.egg-info
