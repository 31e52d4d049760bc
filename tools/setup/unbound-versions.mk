# cnroute - the Unbound release the module is built against, and the builds
# that check other releases of its dependencies.
# Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
#
# Included by the Makefile.
#
#   make BUILD=build-trixie UNBOUND_SUITE=trixie   Unbound from Debian 13's
#        source package, and the module, CLI and unit tests built against
#        it, all under build-trixie/ (any Debian suite name works)
#   make test-trixie       that build's unit and integration tests (with
#        build/ made too, t_build_match also loads each build's module into
#        the other's Unbound); what CI runs for Debian 13's Unbound
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

# A suite's Unbound may come from the source package pinned for it in
# tools/setup/unbound-fallback.pin (when the mirror does not serve the
# suite's own; build-unbound.sh says which it took): a new pin is another
# Unbound.
ifneq ($(UNBOUND_SUITE),)
$(UNBOUND): tools/setup/fetch-pinned-source.sh tools/setup/unbound-fallback.pin
endif

# test-trixie: Debian 13's Unbound, the module against it, the unit and
# integration tests and Unbound's replay scenarios with the module; with a
# default build in build/ already made, t_build_match also loads each
# build's module into the other's Unbound.
TRIXIE_BUILD := build-trixie
.PHONY: test-trixie
test-trixie:
	$(MAKE) BUILD=$(TRIXIE_BUILD) UNBOUND_SUITE=trixie all test-unit
	$(if $(wildcard build/cnroute.so),IT_OTHER_BUILD=$(abspath build)) \
		$(MAKE) BUILD=$(TRIXIE_BUILD) UNBOUND_SUITE=trixie test-integration
	$(MAKE) BUILD=$(TRIXIE_BUILD) UNBOUND_SUITE=trixie test-testbound

# The reply arena's unit test links the arena and hiredis.
UNIT_LDFLAGS_test_reply_arena := plugin/sync/reply_arena.c -lhiredis
$(BUILD)/tests/test_reply_arena $(BUILD)/tests/asan/test_reply_arena: \
	plugin/sync/reply_arena.c plugin/sync/reply_arena.h

# check-hiredis: Debian 13's hiredis built under the build directory; the
# module, cnroutectl and the arena's unit test built against it (its
# headers first, its static library linked in), and that test run. The
# system's hiredis is not touched and the normal builds do not use this.
HIREDIS12_SUITE := trixie
HIREDIS12       := $(BUILD)/hiredis-1.2
HIREDIS12_LIB   := $(HIREDIS12)/lib/libhiredis.a
HIREDIS12_INC   := -I$(HIREDIS12)/include
.PHONY: check-hiredis
check-hiredis: $(HIREDIS12)/cnroute.so $(HIREDIS12)/cnroutectl $(HIREDIS12)/tests/test_reply_arena
	$(HIREDIS12)/tests/test_reply_arena

$(HIREDIS12_LIB): tools/setup/build-hiredis.sh tools/setup/apt-source.sh | $(BUILD)/.deps
	tools/setup/build-hiredis.sh $(HIREDIS12_SUITE) $(HIREDIS12)
	@touch $@

$(HIREDIS12)/cnroute.so: $(ALL_MODULE_SRC) $(wildcard include/cnroute/*.h) $(wildcard plugin/unbound/*.h) $(wildcard plugin/sync/*.h) plugin/unbound/exports.map $(UB_SRC)/config.h $(HIREDIS12_LIB)
	$(CC) $(CSTD) $(WARN) $(OPT) $(PIC_FLAGS) $(HIREDIS12_INC) $(INCLUDES) \
		-Iplugin/unbound -isystem $(UB_SRC) -shared -o $@ $(ALL_MODULE_SRC) \
		$(HIREDIS12_LIB) $(filter-out -lhiredis,$(MODULE_LIBS)) \
		-Wl,--version-script=plugin/unbound/exports.map

$(HIREDIS12)/cnroutectl: $(CLI_SRC) $(POLICY_SRC) $(wildcard include/cnroute/*.h) $(wildcard tools/cnroutectl/*.h) plugin/sync/sync_apply.h $(HIREDIS12_LIB)
	$(CC) $(CSTD) $(WARN) $(OPT) $(HIREDIS12_INC) $(INCLUDES) -Itools/cnroutectl \
		-Iplugin/sync $(CLI_SRC) $(POLICY_SRC) $(HIREDIS12_LIB) \
		$(filter-out -lhiredis,$(CLI_LIBS)) -o $@

$(HIREDIS12)/tests/test_reply_arena: tests/unit/test_reply_arena.c plugin/sync/reply_arena.c plugin/sync/reply_arena.h $(HIREDIS12_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(HIREDIS12_INC) $(INCLUDES) $< \
		plugin/sync/reply_arena.c $(HIREDIS12_LIB) -lcmocka -o $@
