PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install system-packages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tests use, installed once if missing: a CJK font to draw scanned pages, LibreOffice
# (Word -> PDF) and Chromium (web page -> PDF) to make documents the way universities do. No recommended extras:
# fonts-droid-fallback (pulled in by ghostscript) changes how PDFium reads non-embedded CJK fonts.
SYSTEM_PACKAGES := fonts-wqy-zenhei libreoffice-writer chromium
system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing) >/dev/null 2>&1 || \
		echo "warning: could not install $$missing; tests that need them fail under CI=true"; \
	fi

# Demo data first (accounts and uploads take seconds), then the API and a worker until Ctrl-C: the worker ingests
# and reviews the sample reports in the background (`ciqa demo` without --background reviews them in-process).
run: $(STAMP)
	$(BIN)/ciqa demo --background
	$(BIN)/ciqa serve

test: $(STAMP) system-packages
	$(BIN)/ruff check --no-cache .
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var .pytest_cache
