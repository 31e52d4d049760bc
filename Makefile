# cnroute - China-aware steering for Unbound.
# Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
#
#   make          build Unbound (once), the module and the unit tests
#   make run      start a demo resolver on loopback with demo data
#   make test     unit tests, sanitizer unit tests, fuzz seeds, integration tests
#   make bench    benchmarks (not part of make test)
#   make install  install (PREFIX=/usr/local, DESTDIR; README, "Installing")
#   make clean    remove the module build (keeps Unbound and GeoIP data)
#   make distclean  remove build/ entirely
#
# UNBOUND_SRC=DIR builds against an unpacked Unbound source tree instead of
# Debian's source package; UNBOUND_SUITE=trixie takes Debian 13's (with
# BUILD=build-trixie; see tools/setup/unbound-versions.mk).

BUILD      := build
UB_SRC     := $(BUILD)/unbound-src
UB_PREFIX  := $(BUILD)/unbound
UNBOUND    := $(UB_PREFIX)/sbin/unbound
GEOIP_DIR  := $(BUILD)/geoip
GEOIP_DBS  := $(GEOIP_DIR)/geo-whois-asn-country.mmdb $(GEOIP_DIR)/GeoIP2-Country-Test.mmdb

CC        ?= cc
WARN      := -Wall -Wextra -Werror
CSTD      := -std=c11 -D_GNU_SOURCE
OPT       ?= -O2 -g
SAN       := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
INCLUDES  := -Iinclude
LIBS_POLICY := -lmaxminddb -lidn2 -lpsl -lz -lpthread

POLICY_SRC := $(sort $(wildcard plugin/policy/*.c))
SYNC_SRC   := $(sort $(wildcard plugin/sync/*.c))
GLUE_SRC   := $(sort $(wildcard plugin/unbound/*.c))
UNIT_SRC   := $(sort $(filter-out tests/unit/test_cli_%,$(wildcard tests/unit/test_*.c)))
CLI_UNIT_SRC := $(sort $(wildcard tests/unit/test_cli_*.c))
# cnroutectl: tools/cnroutectl/cnroutectl.c holds main(); the other files
# are linked into its unit tests too.
# It also reads Redis replies with the sync thread's own reader
# (plugin/sync/sync_apply.c), so it judges keys as the module does.
CLI_SRC    := $(sort $(wildcard tools/cnroutectl/*.c)) plugin/sync/sync_apply.c
CLI_LIB_SRC := $(filter-out tools/cnroutectl/cnroutectl.c,$(CLI_SRC))
CLI        := $(BUILD)/cnroutectl
CLI_TARGET := $(CLI)
CLI_LIBS   := -ljansson -lhiredis -lldns -lidn2 -lpsl -lz -lmaxminddb -lpthread
FUZZ_SRC   := $(sort $(wildcard tests/fuzz/fuzz_*.c))

POLICY_OBJ := $(POLICY_SRC:%.c=$(BUILD)/obj/%.o)
SYNC_OBJ   := $(SYNC_SRC:%.c=$(BUILD)/obj/%.o)
GLUE_OBJ   := $(GLUE_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%) $(CLI_UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_ASAN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/asan/%) $(CLI_UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/asan/%)
FUZZ_BIN   := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/fuzz/%)

# The module: policy and sync objects are compiled position-independent and
# hidden; only the six entry points of plugin/unbound/ are exported.
PIC_FLAGS  := -fPIC -fvisibility=hidden
MODULE     := $(BUILD)/cnroute.so
MODULE_LIBS := -lhiredis -lmaxminddb -lidn2 -lpsl -lz -lanl -lpthread

.PHONY: all deps unbound geoip module module-asan cli unit test test-unit test-asan test-fuzz \
	fuzz-run test-integration test-integration-asan run bench bench-icount clean distclean version \
	install
.DELETE_ON_ERROR:

all: module $(CLI_TARGET) unit

deps: $(BUILD)/.deps
$(BUILD)/.deps: tools/setup/install-deps.sh
	@mkdir -p $(BUILD)
	tools/setup/install-deps.sh
	@touch $@

# Unbound is rebuilt only when its recipe or the chosen source changes.
UB_ORIGIN = $(if $(UNBOUND_SRC),$(abspath $(UNBOUND_SRC)),debian$(UB_SUITE_ORIGIN))
$(BUILD)/.unbound-origin: FORCE
	@mkdir -p $(BUILD)
	@echo '$(UB_ORIGIN)' | cmp -s - $@ || echo '$(UB_ORIGIN)' > $@
FORCE:

unbound: $(UNBOUND)
$(UNBOUND): tools/setup/build-unbound.sh tools/setup/apt-source.sh $(BUILD)/.unbound-origin | $(BUILD)/.deps
	tools/setup/build-unbound.sh $(BUILD)
	@touch $@
# UB_SRC=DIR on the command line: a tree configured elsewhere (the package
# build's, see tools/packaging/), used as it is; Unbound is not built then.
ifneq ($(origin UB_SRC),command line)
$(UB_SRC)/config.h: $(UNBOUND)
endif

geoip: $(GEOIP_DBS)
$(GEOIP_DBS): tools/setup/fetch-geoip.sh | $(BUILD)/.deps
	tools/setup/fetch-geoip.sh $(GEOIP_DIR)
	@touch $(GEOIP_DBS)

module: $(MODULE)

$(BUILD)/obj/plugin/policy/%.o: plugin/policy/%.c $(wildcard include/cnroute/*.h) | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(PIC_FLAGS) $(INCLUDES) -c $< -o $@

$(BUILD)/obj/plugin/sync/%.o: plugin/sync/%.c $(wildcard include/cnroute/*.h) | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(PIC_FLAGS) $(INCLUDES) -c $< -o $@

# The glue includes Unbound's headers from the configured tree; config.h
# comes first there (struct layouts depend on it). Unbound's headers are
# not warning-clean under -Wextra, so they are system includes.
$(BUILD)/obj/plugin/unbound/%.o: plugin/unbound/%.c $(wildcard include/cnroute/*.h) $(wildcard plugin/unbound/*.h) $(UB_SRC)/config.h
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(PIC_FLAGS) $(INCLUDES) -Iplugin/unbound -isystem $(UB_SRC) -c $< -o $@

$(MODULE): $(GLUE_OBJ) $(SYNC_OBJ) $(POLICY_OBJ) plugin/unbound/exports.map
	$(CC) -shared -o $@ $(filter %.o,$^) $(MODULE_LIBS) -Wl,--version-script=plugin/unbound/exports.map

# The same module built with AddressSanitizer/UBSan, for the integration
# tests: Unbound itself is not instrumented, so the runtime is preloaded
# into the daemon (see tests/integration/run.sh).
MODULE_ASAN := $(BUILD)/asan/cnroute.so
ALL_MODULE_SRC := $(GLUE_SRC) $(SYNC_SRC) $(POLICY_SRC)
module-asan: $(MODULE_ASAN)
$(MODULE_ASAN): $(ALL_MODULE_SRC) $(wildcard include/cnroute/*.h) $(wildcard plugin/unbound/*.h) plugin/unbound/exports.map $(UB_SRC)/config.h
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(PIC_FLAGS) $(INCLUDES) -Iplugin/unbound \
		-isystem $(UB_SRC) -shared -o $@ $(ALL_MODULE_SRC) $(MODULE_LIBS) \
		-Wl,--version-script=plugin/unbound/exports.map

# The operators' CLI links the same policy code as the module.
cli: $(CLI_TARGET)
$(CLI): $(CLI_SRC) $(POLICY_SRC) $(wildcard include/cnroute/*.h) $(wildcard tools/cnroutectl/*.h) plugin/sync/sync_apply.h | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(INCLUDES) -Itools/cnroutectl -Iplugin/sync $(CLI_SRC) $(POLICY_SRC) $(CLI_LIBS) -o $@

# Unit tests link the policy sources directly (no Unbound, no Redis); the
# CLI's (test_cli_*) also link the CLI's own files.
unit: $(UNIT_BIN)
$(BUILD)/tests/test_cli_%: tests/unit/test_cli_%.c $(CLI_LIB_SRC) $(POLICY_SRC) $(wildcard include/cnroute/*.h) $(wildcard tools/cnroutectl/*.h) plugin/sync/sync_apply.h | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(INCLUDES) -Itools/cnroutectl -Iplugin/sync $< $(CLI_LIB_SRC) $(POLICY_SRC) -lcmocka $(CLI_LIBS) -o $@
$(BUILD)/tests/asan/test_cli_%: tests/unit/test_cli_%.c $(CLI_LIB_SRC) $(POLICY_SRC) $(wildcard include/cnroute/*.h) $(wildcard tools/cnroutectl/*.h) plugin/sync/sync_apply.h | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(INCLUDES) -Itools/cnroutectl -Iplugin/sync $< $(CLI_LIB_SRC) $(POLICY_SRC) -lcmocka $(CLI_LIBS) -o $@
# A test may add link flags of its own as UNIT_LDFLAGS_<test>, e.g. to wrap
# the allocator and make a chosen allocation fail.
UNIT_LDFLAGS_test_steering := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
$(BUILD)/tests/%: tests/unit/%.c $(POLICY_SRC) $(wildcard include/cnroute/*.h) | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(INCLUDES) $< $(POLICY_SRC) -lcmocka $(LIBS_POLICY) $(UNIT_LDFLAGS_$*) -o $@
$(BUILD)/tests/asan/%: tests/unit/%.c $(POLICY_SRC) $(wildcard include/cnroute/*.h) | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(INCLUDES) $< $(POLICY_SRC) -lcmocka $(LIBS_POLICY) $(UNIT_LDFLAGS_$*) -o $@

# Fuzz targets, built with a small driver that replays the seed corpus
# (tests/fuzz/corpus/<target>/); the same files build as libFuzzer targets
# with clang -fsanitize=fuzzer. The CLI's (fuzz_cli_*) link its files too.
$(BUILD)/tests/fuzz/fuzz_cli_%: tests/fuzz/fuzz_cli_%.c tests/fuzz/standalone_main.c $(CLI_LIB_SRC) $(POLICY_SRC) | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(INCLUDES) -Itools/cnroutectl -Iplugin/sync $< tests/fuzz/standalone_main.c $(CLI_LIB_SRC) $(POLICY_SRC) $(CLI_LIBS) -o $@
# The sync thread's (fuzz_sync_*) link its reply-to-record code and hiredis.
SYNC_FUZZ_SRC := plugin/sync/sync_apply.c
$(BUILD)/tests/fuzz/fuzz_sync_%: tests/fuzz/fuzz_sync_%.c tests/fuzz/standalone_main.c $(SYNC_FUZZ_SRC) $(POLICY_SRC) $(wildcard include/cnroute/*.h) plugin/sync/sync_apply.h | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(INCLUDES) -Iplugin/sync $< tests/fuzz/standalone_main.c $(SYNC_FUZZ_SRC) $(POLICY_SRC) $(LIBS_POLICY) -lhiredis -o $@
$(BUILD)/tests/fuzz/%: tests/fuzz/%.c tests/fuzz/standalone_main.c $(POLICY_SRC) | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(INCLUDES) $< tests/fuzz/standalone_main.c $(POLICY_SRC) $(LIBS_POLICY) -o $@

# fuzz-run (not part of make test): every target built as a libFuzzer
# binary with clang into build/fuzz/, and run for FUZZ_SECONDS each over a
# copy of its seed corpus (build/fuzz/corpus/<target>/, kept between runs
# so that they build on each other; the seeds in tests/fuzz/corpus/ are
# never written). FUZZ_TARGETS="fuzz_record fuzz_sync_reply" runs some;
# FUZZ_SECONDS_<target>=N in the environment gives one target more time.
# Crashes are written to build/fuzz/artifacts/, logs to build/fuzz/*.log;
# the last line per target is libFuzzer's final stats line.
FUZZ_SECONDS ?= 60
FUZZ_CLANG   ?= clang
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_TARGETS ?= $(FUZZ_SRC:tests/fuzz/%.c=%)
FUZZ_FLAGS   := $(CSTD) $(WARN) -O1 -g -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer $(INCLUDES)
$(FUZZ_DIR)/fuzz_cli_%: tests/fuzz/fuzz_cli_%.c $(CLI_LIB_SRC) $(POLICY_SRC) $(wildcard include/cnroute/*.h) $(wildcard tools/cnroutectl/*.h) plugin/sync/sync_apply.h | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(FUZZ_CLANG) $(FUZZ_FLAGS) -Itools/cnroutectl -Iplugin/sync $< $(CLI_LIB_SRC) $(POLICY_SRC) $(CLI_LIBS) -o $@
$(FUZZ_DIR)/fuzz_sync_%: tests/fuzz/fuzz_sync_%.c $(SYNC_FUZZ_SRC) $(POLICY_SRC) $(wildcard include/cnroute/*.h) plugin/sync/sync_apply.h | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(FUZZ_CLANG) $(FUZZ_FLAGS) -Iplugin/sync $< $(SYNC_FUZZ_SRC) $(POLICY_SRC) $(LIBS_POLICY) -lhiredis -o $@
$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(POLICY_SRC) $(wildcard include/cnroute/*.h) | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(FUZZ_CLANG) $(FUZZ_FLAGS) $< $(POLICY_SRC) $(LIBS_POLICY) -o $@

fuzz-run: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/%)
	@failed=; for n in $(FUZZ_TARGETS); do \
		c=$(FUZZ_DIR)/corpus/$$n; mkdir -p $$c $(FUZZ_DIR)/artifacts; \
		cp tests/fuzz/corpus/$${n#fuzz_}/* $$c/; \
		eval "s=\$${FUZZ_SECONDS_$$n:-$(FUZZ_SECONDS)}"; \
		echo "== $$n for $$s s over $$c"; \
		if ! $(FUZZ_DIR)/$$n -max_total_time=$$s -timeout=10 \
			-print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/artifacts/$$n- \
			$$c > $(FUZZ_DIR)/$$n.log 2>&1; then \
			failed="$$failed $$n"; tail -n 40 $(FUZZ_DIR)/$$n.log; fi; \
		grep -E '^Done [0-9]+ runs' $(FUZZ_DIR)/$$n.log; \
		grep -E '^#[0-9]+[[:space:]]+DONE' $(FUZZ_DIR)/$$n.log | tail -n 1; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz-run: crashes in:$$failed"; exit 1; fi

# test_geoip reads the databases in build/geoip/. Every test program runs
# even when one fails (a failure does not hide the others'); the failed
# ones are listed at the end.
test-unit: $(UNIT_BIN) $(GEOIP_DBS)
	@failed=; for t in $(UNIT_BIN); do echo "== $$t"; \
		$$t || failed="$$failed $$(basename $$t)"; done; \
	if [ -n "$$failed" ]; then echo "test-unit: failed:$$failed"; exit 1; fi

test-asan: $(UNIT_ASAN) $(GEOIP_DBS)
	@failed=; for t in $(UNIT_ASAN); do echo "== $$t (ASan/UBSan)"; \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t || \
		failed="$$failed $$(basename $$t)"; done; \
	if [ -n "$$failed" ]; then echo "test-asan: failed:$$failed"; exit 1; fi

test-fuzz: $(FUZZ_BIN)
	@failed=; for t in $(FUZZ_BIN); do n=$$(basename $$t); \
		echo "== $$n over tests/fuzz/corpus/$${n#fuzz_}"; \
		$$t tests/fuzz/corpus/$${n#fuzz_}/* || failed="$$failed $$n"; \
	done; \
	if [ -n "$$failed" ]; then echo "test-fuzz: failed:$$failed"; exit 1; fi

test-integration: $(MODULE) $(CLI_TARGET) $(UNBOUND) $(GEOIP_DBS)
	tests/integration/run.sh

# The integration suite again with the module built with ASan/UBSan; any
# sanitizer report fails the test file that produced it.
SAN_RUNTIMES = $(shell $(CC) -print-file-name=libasan.so) $(shell $(CC) -print-file-name=libubsan.so)
test-integration-asan: $(MODULE_ASAN) $(CLI_TARGET) $(UNBOUND) $(GEOIP_DBS)
	CNROUTE_SO=$(abspath $(MODULE_ASAN)) UNBOUND_PRELOAD="$(SAN_RUNTIMES)" \
		tests/integration/run.sh

test: test-unit test-asan test-fuzz test-integration test-integration-asan

run: $(MODULE) $(CLI_TARGET) $(UNBOUND) $(GEOIP_DBS)
	tools/demo/run.sh

# Benchmarks: not part of make test (timings are not pass/fail).
bench: $(MODULE) $(UNBOUND) $(GEOIP_DBS)
	tools/setup/install-deps.sh --bench
	tests/bench/run.sh

# Instructions per query under callgrind, deterministic where timings are not
# (tests/bench/icount.sh; ICOUNT_COMPARE_SO=other.so adds another module build).
bench-icount: $(MODULE) $(UNBOUND) $(GEOIP_DBS)
	tools/setup/install-deps.sh --bench
	tests/bench/icount.sh

# The release: defined once, in include/cnroute/version.h (packages take it
# from here; cnroutectl --version and cnroute_build_info print it).
VERSION := $(shell sed -n 's/^\#define CNROUTE_VERSION "\(.*\)"/\1/p' include/cnroute/version.h)
version:
	@echo $(VERSION)

# Installation (FHS). The configuration goes to /etc/unbound when PREFIX
# is /usr, else under PREFIX; DESTDIR is prepended to everything.
PREFIX     ?= /usr/local
MULTIARCH  := $(shell $(CC) -print-multiarch 2>/dev/null)
LIBDIR     ?= $(PREFIX)/lib$(if $(MULTIARCH),/$(MULTIARCH))
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share/cnroute
DOCDIR     ?= $(PREFIX)/share/doc/cnroute
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UB_CONFDIR := $(SYSCONFDIR)/unbound

install: $(MODULE) $(CLI_TARGET) $(GEOIP_DBS)
	install -d $(DESTDIR)$(LIBDIR)/cnroute $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(UB_CONFDIR)/unbound.conf.d
	install -m 0644 $(MODULE) $(DESTDIR)$(LIBDIR)/cnroute/cnroute.so
	install -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/cnroutectl
	install -m 0644 tools/cnroutectl/cnroutectl.1 $(DESTDIR)$(MANDIR)/man1/cnroutectl.1
	install -m 0644 $(GEOIP_DIR)/geo-whois-asn-country.mmdb $(DESTDIR)$(DATADIR)/
	install -m 0644 $(GEOIP_DIR)/geo-whois-asn-country.README.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 conf/cnroute-alerts.yml conf/node_exporter-textfile.example \
		LICENSE README.md $(DESTDIR)$(DOCDIR)/
	sed 's|^geoip-db: .*|geoip-db: $(DATADIR)/geo-whois-asn-country.mmdb|' \
		conf/cnroute.conf >$(DESTDIR)$(UB_CONFDIR)/cnroute.conf
	chmod 0644 $(DESTDIR)$(UB_CONFDIR)/cnroute.conf
	sed 's|dynlib-file: .*|dynlib-file: "$(LIBDIR)/cnroute/cnroute.so"|' \
		conf/unbound.conf.example >$(DESTDIR)$(UB_CONFDIR)/unbound.conf.d/cnroute.conf
	chmod 0644 $(DESTDIR)$(UB_CONFDIR)/unbound.conf.d/cnroute.conf

# make deb, make test-packages
include tools/packaging/packaging.mk

clean:
	rm -rf $(BUILD)/obj $(BUILD)/tests $(BUILD)/asan $(MODULE) $(CLI)

distclean:
	rm -rf $(BUILD)

# Other releases of Unbound and hiredis (UNBOUND_SUITE, test-trixie,
# check-hiredis).
include tools/setup/unbound-versions.mk

# Unbound's replay test suite with the module loaded (make test-testbound)
include tests/testbound/testbound.mk
