# One front door. Every target sets up what it needs; repeated runs are quick.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
ARGS   ?=

.PHONY: build test lint bench golden serve clean audit browser queue

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $@

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

build: $(STAMP)
	@$(PY) -m pipeline build $(ARGS)

audit: $(STAMP)
	@$(PY) -m pipeline audit $(ARGS)

queue: $(STAMP)
	@$(PY) -m pipeline queue $(ARGS)

test: $(STAMP) browser
	@$(PY) -m pytest -q $(ARGS)

lint: $(STAMP)
	@$(PY) -m ruff check pipeline tests
	@$(PY) -m ruff format --check pipeline tests

bench: $(STAMP)
	@$(PY) -m bench.run $(ARGS)

golden: $(STAMP)
	@$(PY) tests/golden.py

serve: build
	@echo "Serving output/ on http://localhost:8000/ (Ctrl-C stops)"
	@$(PY) -m http.server 8000 --bind 127.0.0.1 --directory output

clean:
	rm -rf output reports .build-cache output.staging-* output.old-*
