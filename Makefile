# Set-up is part of every target: a fresh clone needs only `make synth` or `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: synth test test-py314 lint typecheck bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## make synth: synthesize the example app into cdk.out/ and summarize each stack.
synth: $(VENV)/.installed node_modules/.installed
	rm -rf cdk.out
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" npx --no-install cdk synth --quiet --no-notices --output cdk.out
	$(PY) scripts/summarize.py cdk.out

## make test: lint and type checks, the handler tests on Python 3.14, then the whole test suite (offline;
## the pinned CDK CLI in node_modules runs the Quick start test).
test: $(VENV)/.installed node_modules/.installed lint test-py314
	$(PY) -m pytest -q

## make test-py314: the handler tests (tests/lambda) again on Python 3.14, the interpreter of the
## handler's Lambda runtime (python3.14), where this machine's is 3.11: scripts/py314.py builds a Debian
## forky root with Debian's python3.14 (debootstrap) and the tests' packages (cp314 wheels, as
## requirements*.txt and .venv pin them) once into .py314/, keyed by a stamp of what they are built
## from, and runs pytest in it (unshare + chroot; needs root, as CI runs). Left out there: test modules
## marked needs_cdk (pytestmark), because they import aws_cdk, which needs jsii and node and is not
## what runs on Lambda (today three: test_training_sources.py and defects/test_rollbacks_recall.py render
## their searches with SearchFilter, test_iam_across_versions.py synthesizes each app version's policy);
## the summary names them. It fails if any test fails. PY314_ARGS passes pytest
## options: make test-py314 PY314_ARGS="-x -k rename".
PY314_ARGS ?=
test-py314: $(VENV)/.installed
	$(PY) -m scripts.py314 $(PY314_ARGS)

## make lint: ruff, the type checks, then radon on the handlers: no function in lambda/ above
## cyclomatic complexity 10, and every file in lambda/ rated A for maintainability.
lint: $(VENV)/.installed typecheck
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@too_complex=$$($(VENV)/bin/radon cc --min C -s lambda); \
	if [ -n "$$too_complex" ]; then echo "radon cc: above complexity 10:"; echo "$$too_complex"; exit 1; fi
	@not_a=$$($(VENV)/bin/radon mi --min B -s lambda); \
	if [ -n "$$not_a" ]; then echo "radon mi: not rated A:"; echo "$$not_a"; exit 1; fi
	@echo "radon: every function in lambda/ at most complexity 10, every file rated A"

## make typecheck: mypy --strict on the package, then on each handler as it is bundled
## (its modules import each other as top-level modules there; crhelper is the installed one).
typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for dir in lambda/*/; do \
	  [ -f "$$dir/index.py" ] || continue; kind=$$(basename "$$dir"); \
	  $(PY) -c 'import sys; from sagemaker_constructs._bundle import bundle_handler; bundle_handler(*sys.argv[1:])' \
	    "$$kind" "$$tmp/$$kind"; \
	  rm -rf "$$tmp/$$kind/crhelper"; \
	  echo "mypy --strict handler $$kind"; \
	  $(VENV)/bin/mypy --strict --config-file pyproject.toml --cache-dir "$$tmp/$$kind.mypy-cache" "$$tmp/$$kind"/*.py; \
	done

## make bench: speed and size against plain crhelper and the Provider framework.
bench: $(VENV)/.installed node_modules/.installed
	$(PY) -m bench

## make explore: run N generated schedules from seed SEED against the bundled handlers
## (tests/explorer); prints progress, and on the first failing seed its trace, the violated
## invariant and the replay command. TRACE=1 prints every trace; KEEP_GOING=1 lists every failing seed.
## KIND=widget runs every schedule on that kind alone (the test-only widget kind, tests/lambda/third_kind),
## outside the default mix, so the seeds of the mix keep their meaning.
N ?= 1000
SEED ?= 0
KIND ?=
.PHONY: explore
explore: $(VENV)/.installed
	$(PY) -m tests.explorer --n $(N) --seed $(SEED) $(if $(TRACE),--trace) $(if $(KEEP_GOING),--keep-going) \
	  $(if $(KIND),--kind $(KIND))

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info

## make integ: deploy and destroy each integ app (integ/integ_*.py) in a real AWS account, report
## each assertion, then run the pytest -m aws suite; results go to ASSUMPTIONS.md. It costs money:
## see the README, "Integration tests". One app: make integ INTEG_APPS=integ_compilation_job.
## INTEG_ARGS passes options to scripts/integ.py: -c workteam_arn=ARN, --keep, --no-pytest, --no-record.
INTEG_APPS ?=
INTEG_ARGS ?=
.PHONY: integ
integ: $(VENV)/.installed node_modules/.installed
	$(PY) -m scripts.integ $(INTEG_APPS) $(INTEG_ARGS)
