# Unbound's own replay test suite (testbound) with cnroute loaded: every
# scenario of the Unbound tree in $(BUILD)/unbound-src, as shipped and with
# the module in the stack (tests/testbound/run.sh). Included by the
# Makefile; part of make test.
#
# Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
#
#   make test-testbound                      against build/
#   make test-testbound BUILD=build-x UNBOUND_SUITE=x   against another build
#   make test-testbound TB_SCENARIOS="dns64_lookup iter_resolve"

TESTBOUND := $(BUILD)/testbound/testbound

# testbound linked so that the module finds Unbound's symbols in it
$(TESTBOUND): tests/testbound/build.sh $(UB_SRC)/config.h
	tests/testbound/build.sh $(BUILD)

test-testbound: $(TESTBOUND) $(MODULE) $(GEOIP_DBS)
	BUILD=$(BUILD) UNBOUND_SUITE=$(UNBOUND_SUITE) tests/testbound/run.sh $(TB_SCENARIOS)

.PHONY: test-testbound
test: test-testbound
