# Two commands a newcomer needs: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.13: `python3.13` on PATH if it runs, else pyenv's 3.13.0 (installed but not on PATH here).
PYTHON313 := $(shell \
  if python3.13 -c 'import sys' >/dev/null 2>&1; then command -v python3.13; \
  elif command -v pyenv >/dev/null 2>&1 && [ -x "$$(pyenv prefix 3.13.0 2>/dev/null)/bin/python3.13" ]; then \
    echo "$$(pyenv prefix 3.13.0)/bin/python3.13"; \
  fi)
VENV := .venv
VENV_SAM := .venv-sam
VENV_CHECKOV := .venv-checkov
# make run's ports: unset, the defaults (3000, 5000), or free ones in their place if taken. Passed
# to make run alone, in its environment, never pasted into a recipe's shell line (where a value
# could run commands); other targets' tools (moto's server reads MOTO_PORT) never see them.
MOTO_PORT ?=
PORT ?=
run: export PORT := $(PORT)
run: export MOTO_PORT := $(MOTO_PORT)

.PHONY: help run binctl test unit lint scan browser screenshots bench build validate deploy destroy clean

# Code that ships (the layer, the functions) and the tools beside it: linted and formatted by ruff.
LINTED := layers/shared functions cli local bench
# What mypy checks: the shipped code and binctl.
TYPED := layers/shared/binstore functions/api functions/cleanup functions/sweeper functions/console cli/binctl

help: ## list every target
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z]+):.*## (.*)/make \1\t- \2/' | expand -t 18

python313:
	@if [ -z "$(PYTHON313)" ]; then \
	  echo "Python 3.13 not found: put python3.13 on PATH, or install it with 'pyenv install 3.13.0'." >&2; exit 1; fi

$(VENV)/.installed: requirements-dev.txt layers/shared/requirements.txt pyproject.toml | python313
	@[ -x $(VENV)/bin/python ] || $(PYTHON313) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	$(VENV)/bin/pip install --quiet --no-deps -e .
	@touch $@

$(VENV_SAM)/.installed: requirements-sam.txt | python313
	@[ -x $(VENV_SAM)/bin/python ] || $(PYTHON313) -m venv $(VENV_SAM)
	$(VENV_SAM)/bin/pip install --quiet -r requirements-sam.txt
	@touch $@

$(VENV_CHECKOV)/.installed: requirements-checkov.txt | python313
	@[ -x $(VENV_CHECKOV)/bin/python ] || $(PYTHON313) -m venv $(VENV_CHECKOV)
	$(VENV_CHECKOV)/bin/pip install --quiet -r requirements-checkov.txt
	@touch $@

run: $(VENV)/.installed $(VENV_SAM)/.installed ## serve the API on 127.0.0.1:$PORT (3000), AWS emulated by moto on $MOTO_PORT (5000)
	@$(VENV)/bin/python -m local.run

binctl: $(VENV)/.installed ## install binctl, the operator's CLI, into .venv (then: .venv/bin/binctl --help)
	@echo "binctl is ready: .venv/bin/binctl --help"

# The three environments and the browser install side by side (mostly downloads); then the lint; then
# the tests, on two workers, a test file per worker at a time (each worker starts its own local stack on
# free ports, and its own headless Chromium for the browser tests), then names the 15 slowest tests:
# where the time goes.
test: ## lint, then run every test (the template's security scan and the browser tests included)
	@$(MAKE) --no-print-directory -j4 $(VENV)/.installed $(VENV_SAM)/.installed $(VENV_CHECKOV)/.installed browser
	@$(MAKE) --no-print-directory lint
	PATH="$(dir $(PYTHON313)):$$PATH" $(VENV)/bin/pytest -n 2 --dist loadfile --durations=15

unit: $(VENV)/.installed ## the fast tests alone: no AWS emulation, no servers (seconds)
	$(VENV)/bin/pytest -q tests/unit

lint: $(VENV)/.installed ## ruff (lint and format check), mypy, and the import contracts in pyproject.toml
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/mypy $(TYPED)
	$(VENV)/bin/lint-imports --no-cache

# Debian's chromium and chromium-driver, for the browser tests (tests/browser/provision.py): there, nothing
# to do; missing, installed with apt-get when root (about a minute); else CI=true fails here, and
# elsewhere a loud warning, and the browser tests skip. The standard library alone: it runs before .venv.
browser: | python313 ## make sure headless Chromium and chromedriver are there (apt-get install as root)
	@$(PYTHON313) -m tests.browser.provision

# The browser tests alone, one worker, their page.screenshot(NAME) calls saving docs/screenshots/NAME.png.
screenshots: $(VENV)/.installed $(VENV_SAM)/.installed | python313 ## refresh the README's console screenshots in docs/screenshots/
	@$(PYTHON313) -m tests.browser.provision --required
	SCREENSHOTS=1 PATH="$(dir $(PYTHON313)):$$PATH" $(VENV)/bin/pytest tests/browser

# Figures, not pass/fail: see bench/__main__.py. The local stack it starts needs .venv-sam too.
bench: $(VENV)/.installed $(VENV_SAM)/.installed ## measure an update: AWS calls, own time, cold start, cost, local throughput
	$(VENV)/bin/python -m bench

# sam build resolves the python3.13 runtime from PATH. Then every module is compiled to bytecode:
# Lambda's code is read-only, so Python cannot cache what it compiles, and without these files every
# cold start compiles every module it imports again (measured: 651 ms -> 390 ms for the handler's
# imports). unchecked-hash: the files are used as they are, whatever the timestamps in the zip.
BUILD_DIR ?= .aws-sam/build
build: $(VENV_SAM)/.installed | python313 ## sam build, then bytecode: what sam deploy ships
	PATH="$(dir $(PYTHON313)):$$PATH" $(VENV_SAM)/bin/sam build --build-dir $(BUILD_DIR)
	$(PYTHON313) -m compileall -q --invalidation-mode unchecked-hash $(BUILD_DIR)

validate: $(VENV_SAM)/.installed ## sam validate --lint on template.yaml
	$(VENV_SAM)/bin/sam validate --lint

# checkov's security checks on template.yaml; tests/test_security_scan.py runs the same in `make test`.
# Fails on any failed check: fix it, or skip it in the resource's Metadata with the reason. The
# cloudformation framework covers the SAM resources too (checkov's `serverless` framework is the
# Serverless Framework's serverless.yml, not SAM). --skip-download and CKV_SKIP_PACKAGE_UPDATE_CHECK:
# no calls to Prisma Cloud for check metadata, nor to PyPI for a newer checkov.
scan: $(VENV_CHECKOV)/.installed ## checkov security scan of template.yaml (also run by make test)
	CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(VENV_CHECKOV)/bin/checkov -f template.yaml --framework cloudformation \
	  --skip-download --quiet --compact

# The first deploy is guided: it asks the region and the parameters once and saves them in
# $(SAMCONFIG); once a region is saved there, every deploy is a plain `sam deploy` with them.
SAMCONFIG ?= samconfig.toml
deploy: build ## deploy into your AWS account: guided the first time (saves the answers), plain after
	@if grep -qE '^[[:space:]]*region[[:space:]]*=' $(SAMCONFIG); then \
	  $(VENV_SAM)/bin/sam deploy --config-file $(SAMCONFIG); \
	else \
	  $(VENV_SAM)/bin/sam deploy --guided --config-file $(SAMCONFIG); \
	fi

# sam delete reads the stack's name and region from $(SAMCONFIG) and asks before deleting. The
# data tables and buckets have DeletionPolicy: Retain: they stay (README, "Tearing down").
destroy: $(VENV_SAM)/.installed ## delete the deployed stack (your data tables and buckets stay, old body versions until they expire: see the README)
	@echo "Your data stays: the tables and both buckets (DeletionPolicy: Retain). The records bucket is versioned:"
	@echo "bodies deleted in the last NoncurrentBodyRetentionDays (7 by default) stay as noncurrent versions and"
	@echo "delete markers until its lifecycle rules expire them; to delete the bucket, empty it of every version"
	@echo "first (README, Tearing down: aws s3api delete-objects over list-object-versions)."
	$(VENV_SAM)/bin/sam delete --config-file $(SAMCONFIG)

clean: ## remove the virtual environments and the build
	rm -rf $(VENV) $(VENV_SAM) $(VENV_CHECKOV) .aws-sam
