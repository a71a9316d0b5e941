# The quickstart: `make report` and `make test` each create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make report` works on its own store so it always shows the bundled snapshot.
REPORT_DB ?= .opengap/report.duckdb

.PHONY: report test browser lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "opengap needs Python >= 3.11 (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

report: $(STAMP)
	@mkdir -p $(dir $(REPORT_DB))
	OPENGAP_DB=$(REPORT_DB) $(BIN)/opengap report -o report.html

test: $(STAMP) browser
	$(BIN)/python -m pytest -q

# Browser tests need Debian's chromium; install it when missing and we can (root + apt-get).
# Without it those tests skip with a reason, so this step never fails the run.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing chromium for the browser tests (apt-get)…"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium chromium-driver >/dev/null 2>&1) || echo "chromium install failed: browser tests will skip"; \
	  else echo "chromium not found: browser tests will skip"; fi; }

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_fit.py
	$(BIN)/python benchmarks/bench_report.py

clean:
	rm -rf $(VENV) .opengap report.html
