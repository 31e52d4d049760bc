# cnroute - the Unbound release the module is built against, and the builds
# that check other releases of its dependencies.
# Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
#
# Included by the Makefile.
#
#   make BUILD=build-trixie UNBOUND_SUITE=trixie   Unbound from Debian 13's
#        source package, and the module, CLI and unit tests built against
#        it, all under build-trixie/ (any Debian suite name works)
#   make test-trixie       that build's unit and integration tests
#   make check-hiredis     the module and cnroutectl built against Debian
#        13's hiredis (1.2) under $(BUILD)/hiredis-1.2, and the unit tests
#        of the reply arena run against it
#
# Without UNBOUND_SUITE the system's own release is used, as always.

UNBOUND_SUITE ?=
export UNBOUND_SUITE

# The integration tests take the daemon, module, CLI and GeoIP data from
# this build directory (tests/integration/lib.sh).
export IT_BUILD := $(abspath $(BUILD))

# Part of what the Unbound rebuild stamp ($(BUILD)/.unbound-origin) records:
# a build from another suite is another Unbound. Empty for the system's
# release, so that an existing build/ is not rebuilt.
UB_SUITE_ORIGIN := $(if $(UNBOUND_SUITE),:$(UNBOUND_SUITE))

TRIXIE_BUILD := build-trixie
.PHONY: test-trixie
test-trixie:
	$(MAKE) BUILD=$(TRIXIE_BUILD) UNBOUND_SUITE=trixie all test-unit test-integration
