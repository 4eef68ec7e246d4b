# learnloop developer commands. `make demo` runs the product, `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo serve test test-fast lint format install browsers clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "learnloop needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,ml,llm,multilingual]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/learnloop demo

serve: $(STAMP)
	$(BIN)/learnloop serve

test: $(STAMP)
	$(BIN)/pytest

test-fast: $(STAMP)
	$(BIN)/pytest -m "not slow and not postgres and not e2e"

# Chromium for the browser tests (tests/e2e), from Debian; Playwright drives it, so
# `playwright install` is never needed. CI runs this before `make test`.
browsers:
	@if [ -x /usr/bin/chromium ]; then \
		echo "chromium: $$(/usr/bin/chromium --version 2>/dev/null | head -n 1)"; \
	elif [ "$$(id -u)" -ne 0 ]; then \
		echo "make browsers: /usr/bin/chromium is missing; install it as root:" >&2; \
		echo "  sudo apt-get update && sudo apt-get install -y chromium fonts-noto-cjk" >&2; \
		exit 1; \
	else \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-noto-cjk; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check learnloop tests bench
	$(BIN)/ruff format --check learnloop tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format learnloop tests bench
	$(BIN)/ruff check --fix learnloop tests bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
