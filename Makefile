# The interpreter the virtualenv is made with: PYTHON=python3.12 make test, else the newest
# Python 3.10-3.13 on PATH or under $(pyenv root)/versions (all of them install the pins).
PYTHON ?= $(shell .ci/find-python)
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install test demo docs bench clean

$(VENV)/.installed: requirements.txt requirements-tests.txt pyproject.toml
	@test -x $(PY) || { test -n "$(PYTHON)" && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

install: $(VENV)/.installed

test: install
	$(PY) -m pytest

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py errorregistry_sync
	$(PY) manage.py demo_superuser
	@echo ""
	@echo "  Admin:           http://$(HOST):$(PORT)/admin/          (admin / admin)"
	@echo "  Support view:    http://$(HOST):$(PORT)/admin/errorregistry/supportconsole/"
	@echo "  Error catalog:   http://$(HOST):$(PORT)/api/errors/"
	@echo "  Error reference: http://$(HOST):$(PORT)/api/errors/reference/"
	@echo "  Swagger UI:      http://$(HOST):$(PORT)/api/docs/"
	@echo "  Failing calls:"
	@echo "    curl -i http://$(HOST):$(PORT)/api/demo/account/"
	@echo "    curl -i -X POST -H 'Content-Type: application/json' -d '{\"items\":[{}]}' http://$(HOST):$(PORT)/api/demo/orders/"
	@echo "    curl -i -X POST -H 'Accept-Language: fr' -H 'X-Token-Scope: read_write' http://$(HOST):$(PORT)/api/demo/exports/"
	@echo "    curl -i http://$(HOST):$(PORT)/api/demo/no-such-endpoint/"
	@echo ""
	$(PY) manage.py runserver --insecure $(HOST):$(PORT)

docs: install
	$(PY) -m pip install --quiet -r requirements-docs.txt
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

bench: install
	$(PY) -m pip install --quiet -r bench/requirements.txt
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var site .nox
