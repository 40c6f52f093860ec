PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install fonts clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# A real CJK font is needed to draw scanned-page test images; install it once if missing.
fonts:
	@fc-list 2>/dev/null | grep -qi 'wqy' || ls /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc >/dev/null 2>&1 || \
		( (apt-get update -qq && apt-get install -y -qq fonts-wqy-zenhei) >/dev/null 2>&1 || \
		  echo "warning: fonts-wqy-zenhei could not be installed; OCR tests will be skipped" )

# Demo data first (reviewed in-process, so it is ready at once), then the API and a worker until Ctrl-C.
run: $(STAMP)
	$(BIN)/ciqa demo
	$(BIN)/ciqa serve

test: $(STAMP) fonts
	$(BIN)/ruff check .
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var .pytest_cache
