# One front door. Every target sets up what it needs; repeated runs are quick.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
LOCK   := requirements-dev.lock
# Reinstall only when the lock, the extra pins or the package's metadata change.
STAMP  := $(VENV)/.installed-$(shell cat $(LOCK) requirements.txt pyproject.toml | sha1sum | cut -c1-12)
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check
ARGS   ?=
# `make test` runs the suite on this many pytest-xdist processes (0: in this one process, as plain pytest does).
TEST_WORKERS ?= 2

.PHONY: build test lint lock bench golden serve serve-preview clean audit browser review queue java validate lighthouse

# The locked versions (plus any extra pin in requirements.txt), then this package itself, editable and
# without resolving again (its dependencies are in the lock).
$(STAMP): $(LOCK) requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PIP) -r $(LOCK) -r requirements.txt
	@$(PIP) --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-* && touch $@

# Re-resolve both lock files from pyproject.toml and requirements.txt, keeping every version that still
# fits (add UPGRADE=1 to move everything to the newest versions that fit).
lock: $(STAMP)
	@$(VENV)/bin/uv pip compile -q pyproject.toml requirements.txt --all-extras $(if $(UPGRADE),--upgrade) \
	  --python-version 3.11 --custom-compile-command "make lock" -o requirements-dev.lock
	@$(VENV)/bin/uv pip compile -q pyproject.toml requirements.txt --extra dask -c requirements-dev.lock \
	  --python-version 3.11 --custom-compile-command "make lock" -o requirements.lock
	@echo "requirements-dev.lock and requirements.lock updated; commit them with the change that needed them."

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

build: $(STAMP)
	@$(PY) -m pipeline build $(ARGS)

# External checks of the built site (docs/external-audit.md). Their tools go into .tools/ (npm packages at
# pinned versions; vnu-jar's install script, which downloads a Java runtime, is skipped: Debian's is used).
VNU_VERSION        := 26.9.27
LIGHTHOUSE_VERSION := 12.8.2
VNU_JAR            := .tools/vnu/node_modules/vnu-jar/build/dist/vnu.jar
LIGHTHOUSE         := .tools/lighthouse/node_modules/.bin/lighthouse
# One folder per tool: npm install --no-save in a folder removes the packages it was not asked for.
NPM_TOOL            = npm install --no-save --no-audit --no-fund --ignore-scripts --loglevel=error --prefix

java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "Installing Debian's default-jre-headless for the Nu HTML checker..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq default-jre-headless >/dev/null; }

$(VNU_JAR):
	@$(NPM_TOOL) .tools/vnu vnu-jar@$(VNU_VERSION)

$(LIGHTHOUSE):
	@$(NPM_TOOL) .tools/lighthouse lighthouse@$(LIGHTHOUSE_VERSION)

# The Nu HTML checker over both trees (HTML, CSS and SVG): silent and exit 0 when clean.
validate: build java $(VNU_JAR)
	@java -jar $(VNU_JAR) --also-check-css --also-check-svg --skip-non-html output preview
	@echo "Nu HTML checker $(VNU_VERSION): no errors or warnings in output/ and preview/"

# Lighthouse (performance, accessibility, best practices, SEO) on a sample of output/, served locally.
lighthouse: build browser $(LIGHTHOUSE)
	@$(PY) tools/lighthouse.py --lighthouse $(LIGHTHOUSE) $(ARGS)

audit: $(STAMP)
	@$(PY) -m pipeline audit $(ARGS)

queue: $(STAMP)
	@$(PY) -m pipeline queue $(ARGS)

test: $(STAMP) browser
	@$(PY) -m pytest -q -n $(TEST_WORKERS) --dist worksteal $(ARGS)

lint: $(STAMP)
	@$(PY) -m ruff check pipeline tests
	@$(PY) -m ruff format --check pipeline tests
	@$(VENV)/bin/lint-imports --no-cache --no-logo

bench: $(STAMP)
	@$(PY) -m bench.run $(ARGS)

golden: $(STAMP)
	@$(PY) tests/golden.py

# The built site as the deployment serves it: its redirect rules and its 404 page. PORT=8001 make serve.
PORT ?= 8000
serve: build
	@$(PY) -m pipeline serve --port $(PORT)

serve-preview: build
	@echo "Serving the drafts' preview/ on http://localhost:8002/ (Ctrl-C stops); its links to published pages go to the public site"
	@$(PY) -m http.server 8002 --bind 127.0.0.1 --directory preview

review: $(STAMP)
	@$(PY) -m pipeline review $(ARGS)

# Also what a killed build or command can leave: hidden staging and half-swapped folders, lock files,
# a data file's unfinished temporary copy.
clean:
	rm -rf output preview deploy reports .build-cache output.staging-* output.old-* .output.staging-* .output.old-* \
	  .preview.staging-* .preview.old-* .output.lock .data.lock data/.*.tmp
