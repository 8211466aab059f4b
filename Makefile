# sogod: `make run` starts the embedded default, `make test` runs the whole suite.
PYTHON ?= /usr/bin/python3
VENV   := .venv
BIN    := $(VENV)/bin
ARGS   ?=
PYTEST_ARGS ?=

# Debian packages: what `make run` needs, and what the tests start for real.
RUN_DEBS  := python3-venv
TEST_DEBS := python3-venv postgresql mariadb-server memcached dovecot-core \
             gnustep-base-runtime apache2 sogo slapd ldap-utils \
             build-essential python3-dev libldap2-dev libsasl2-dev

.PHONY: run test venv test-deps clean bench

run: $(BIN)/sogod
	$(BIN)/sogod --embedded var $(ARGS)

$(BIN)/sogod: setup.cfg
	@./scripts/debian-deps $(RUN_DEBS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	@touch $@

test-deps: $(BIN)/sogod
	@./scripts/debian-deps $(TEST_DEBS)
	$(BIN)/pip install -q -e '.[test]'

test: test-deps
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

bench: $(BIN)/sogod
	$(BIN)/python bench/propfind_principal.py

clean:
	rm -rf $(VENV) var *.egg-info
