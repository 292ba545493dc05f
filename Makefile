# mscep - NDES-compatible SCEP responder. See README.md.
#   make            build bin/mscep, bin/mscep-admin and the test tools
#   make run        install missing packages, init a demo CA, serve on lighttpd
#   make check      unit + end-to-end tests (installs missing packages)
#   make check-asan the same tests on an AddressSanitizer+UBSan build
#   make lint       cppcheck (warning, portability, performance), clean
#   make install    PREFIX=/usr/local SYSCONFDIR=/etc DESTDIR= (README:
#                   "Deploying"); keeps an existing mscep.ini
#   dpkg-buildpackage -us -uc -b   the Debian package (debian/, README:
#                   "Install from the Debian package")
#   make fuzz       libFuzzer targets (tests/fuzz/), FUZZ_SECONDS each
#   make bench      throughput against micromdm's scepserver (README
#                   "Benchmark"; BENCH_N, BENCH_J, BENCH_W...), a few minutes

PREFIX	?= /usr/local
SYSCONFDIR ?= /etc
STATEDIR ?= /var/lib/mscep
BUILD	?= build
BINDIR	?= bin
CC	?= cc
CFLAGS	?= -O2 -g
SAN	?=
PORT	?= 8080

WARN	 = -std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	   -Wstrict-prototypes -Wmissing-prototypes
# Every include names its layer: "util/log.h", "policy/policy.h".
CPPFLAGS += -D_GNU_SOURCE -I. -Imscep -I/usr/include/iniparser \
	   $(shell pkg-config --cflags libpq 2>/dev/null || \
	   echo -I/usr/include/postgresql) \
	   -DMSCEP_CONFIG='"$(SYSCONFDIR)/mscep/mscep.ini"'
DEPFLAGS = -MMD -MP
LDLIBS	 = $(shell pkg-config --libs libcrypto sqlite3 libcurl jansson libpq \
	   2>/dev/null || echo -lcrypto -lsqlite3 -lcurl -ljansson -lpq) \
	   -liniparser \
	   -lp11
ifeq ($(SAN),1)
CFLAGS	+= -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=address,undefined
endif

# The layers, lowest first (README "How a request flows"): each folder
# includes only from the folders before it.
LAYERS	 = util config store ca scep responder signer
CORE	 = $(foreach l,$(LAYERS),$(wildcard mscep/$(l)/*.c)) \
	   $(wildcard policy/*.c)
SERVER	 = $(wildcard mscep/server/*.c)
ADMIN	 = $(wildcard mscep/admin/*.c)
UNIT	 = $(wildcard tests/unit/*.c)
CORE_O	 = $(CORE:%.c=$(BUILD)/%.o)
LIB	 = $(BUILD)/libmscep.a

PROGS	 = $(BINDIR)/mscep $(BINDIR)/mscep-admin $(BINDIR)/scepcli \
	   $(BINDIR)/logsink $(BINDIR)/unit-tests

.PHONY: all deps need man man-lint run check check-unit check-e2e check-asan lint \
	install clean fuzz fuzz-build fuzz-regress fuzz-corpus fuzz-long \
	fuzz-merge fuzz-coverage bench

all: need $(PROGS)

# The build dependencies, checked before anything compiles: one line that
# names what is missing (make deps installs it) instead of a compiler error.
BUILD_PKGS = build-essential pkg-config libssl-dev libsqlite3-dev \
	   libfcgi-dev libiniparser-dev libcunit1-dev libcurl4-openssl-dev \
	   libjansson-dev libp11-dev libpq-dev
need:
	@missing=; for p in $(BUILD_PKGS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
	    grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "missing Debian packages:$$missing" \
	    "(make deps installs them)" >&2; exit 1; fi

$(BUILD)/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(DEPFLAGS) -c -o $@ $<

$(LIB): $(CORE_O)
	@echo "  AR      $@"
	@rm -f $@ && $(AR) rcs $@ $^

$(BINDIR)/mscep: $(SERVER:%.c=$(BUILD)/%.o) $(LIB)
	@mkdir -p $(BINDIR)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lfcgi

$(BINDIR)/mscep-admin: $(ADMIN:%.c=$(BUILD)/%.o) $(LIB)
	@mkdir -p $(BINDIR)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BINDIR)/unit-tests: $(UNIT:%.c=$(BUILD)/%.o) $(LIB)
	@mkdir -p $(BINDIR)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcunit

# An independent SCEP client: it shares no code with the responder.
$(BINDIR)/scepcli: $(wildcard tests/tools/scepcli/*.[ch])
	@mkdir -p $(BINDIR)
	@echo "  LD      $@"
	@$(CC) -D_GNU_SOURCE $(CFLAGS) $(WARN) -o $@ $(filter %.c,$^) \
	    $(LDFLAGS) -lcrypto

# A stand-in syslog socket for the tests.
$(BINDIR)/logsink: tests/tools/logsink.c
	@mkdir -p $(BINDIR)
	@echo "  LD      $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< $(LDFLAGS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# mscep.ini(5): the page with its one line ".\" @KEYS@" replaced by the key
# list printed from the table config_load parses by.
MANDIR	?= $(PREFIX)/share/man
MAN8	 = docs/mscep.8 docs/mscep-admin.8
MAN5	 = $(BUILD)/man/mscep.ini.5
man: $(MAN5)

# The man pages lint clean: groff warns without failing, so any output
# fails; mandoc fails on its own.
man-lint: $(MAN5)
	@out=$$(groff -ww -z -man $(MAN8) $(MAN5) 2>&1); \
	    [ -z "$$out" ] || { echo "$$out"; exit 1; }
	@mandoc -T lint -W style $(MAN8) $(MAN5)
	@echo "man-lint: $(words $(MAN8) $(MAN5)) pages, no warnings"

$(BUILD)/man/mscep.ini.5: docs/mscep.ini.5.in $(BINDIR)/mscep-admin
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@test "$$(grep -c '^\.\\" @KEYS@$$' $<)" = 1 || \
	    { echo "$<: needs one line .\\\" @KEYS@" >&2; exit 1; }
	@$(BINDIR)/mscep-admin config-keys --man > $@.keys
	@sed -e '/^\.\\" @KEYS@$$/{r $@.keys' -e 'd;}' $< > $@.tmp
	@rm -f $@.keys && mv $@.tmp $@

deps:
	@sh deploy/install-deps.sh

run: deps all
	@sh deploy/demo.sh $(PORT)

# Installs nothing: make deps (or .ci/run) does, once.
check: all
	@sh tests/tools/layers.sh
	@$(MAKE) --no-print-directory man-lint
	@$(MAKE) --no-print-directory check-unit check-e2e

check-unit: $(BINDIR)/unit-tests
	cd tests && ../$(BINDIR)/unit-tests

check-e2e: all
	MSCEP_BIN=$(CURDIR)/$(BINDIR) sh tests/e2e/run.sh

# fast_unwind_on_malloc=0: full leak stacks through libcrypto. The e2e
# tests' second pass on PostgreSQL (tests/e2e/run.sh) runs in make check
# and check-e2e, not here: under the sanitizers the PostgreSQL backend is what
# test_store_pg.sh and test_store_pg_ha.sh exercise.
check-asan: export ASAN_OPTIONS = detect_leaks=1:fast_unwind_on_malloc=0
check-asan: export UBSAN_OPTIONS = print_stacktrace=1:halt_on_error=1
check-asan: export MSCEP_E2E_PG = 0
check-asan: need
	@$(MAKE) --no-print-directory SAN=1 BUILD=build/asan \
	    BINDIR=build/asan/bin all check-unit check-e2e

# The benchmark: a table on stdout, progress on stderr; reports the
# targets, asserts none. Needs what "make deps" installs (scep, nginx...).
bench: all
	@MSCEP_BIN=$(CURDIR)/$(BINDIR) bash tests/bench/bench.sh

# The shipped files name /usr/local, /etc/mscep and /var/lib/mscep: the
# installed copies name PREFIX, SYSCONFDIR and STATEDIR instead.
DEPLOY_SED = -e 's|/usr/local/|$(PREFIX)/|g' \
	   -e 's|/etc/mscep/|$(SYSCONFDIR)/mscep/|g' -e 's|/var/lib/mscep|$(STATEDIR)|g'
install: $(BINDIR)/mscep $(BINDIR)/mscep-admin $(MAN5)
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/mscep \
	    $(DESTDIR)$(PREFIX)/share/mscep $(DESTDIR)$(SYSCONFDIR)/mscep \
	    $(DESTDIR)$(PREFIX)/share/doc/mscep/docs
	install -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/mscep/
	install -m 0644 docs/operations.md docs/challenge.md \
	    $(DESTDIR)$(PREFIX)/share/doc/mscep/docs/
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	for f in $(MAN8); do sed $(DEPLOY_SED) $$f > \
	    $(DESTDIR)$(MANDIR)/man8/$${f##*/} || exit 1; done
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0755 $(BINDIR)/mscep $(BINDIR)/mscep-admin \
	    $(DESTDIR)$(PREFIX)/sbin/
	sed $(DEPLOY_SED) deploy/cgi/mscep-bridge > \
	    $(DESTDIR)$(PREFIX)/lib/mscep/mscep-bridge
	chmod 0755 $(DESTDIR)$(PREFIX)/lib/mscep/mscep-bridge
	for f in deploy/apache/* deploy/lighttpd/* deploy/nginx/* \
	    deploy/systemd/* deploy/spawn-fcgi/* deploy/prometheus/* \
	    deploy/grafana/*; do \
	    d=$(DESTDIR)$(PREFIX)/share/mscep/$${f#deploy/}; \
	    install -d $${d%/*} && sed $(DEPLOY_SED) $$f > $$d && \
	    chmod $$(test -x $$f && echo 0755 || echo 0644) $$d || exit 1; \
	done
	test -f $(DESTDIR)$(SYSCONFDIR)/mscep/mscep.ini || \
	    sed -e 's|^StateDir = .*|StateDir = $(STATEDIR)|' \
	    -e 's|^TlsCertificate = .*|TlsCertificate = $(SYSCONFDIR)/mscep/tls/server.crt|' \
	    etc/mscep.ini > \
	    $(DESTDIR)$(SYSCONFDIR)/mscep/mscep.ini

# Static analysis: cppcheck's warning, portability and performance
# checks over every C file, reading the real OpenSSL headers so that its
# ASN1 template macros parse; findings in system headers are not ours.
lint:
	cppcheck --quiet --enable=warning,portability,performance --std=c11 \
	    --error-exitcode=1 --inline-suppr -D_GNU_SOURCE -D__x86_64__ \
	    -I. -Imscep \
	    -I/usr/include -I/usr/include/x86_64-linux-gnu \
	    -I/usr/include/iniparser --suppress='*:/usr/include/*' \
	    --suppress=missingIncludeSystem --suppress=unmatchedSuppression \
	    mscep policy tests/tools tests/unit
# libFuzzer targets (README "Fuzzing"): the core compiled again with clang,
# coverage, ASan and UBSan into $(FUZZ_BUILD); each target runs for
# FUZZ_SECONDS on its seeds (tests/fuzz/corpus/<target>, read only; what
# it finds goes to $(FUZZ_BUILD)/corpus/<target>) and any crash, leak or
# timeout fails. CI: make fuzz FUZZ_SECONDS=10.
FUZZ_CC	 ?= clang
FUZZ_BUILD ?= build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= pkiop worker query challenge config csr ocsp lint intune \
	   signer
FUZZ_FLAGS ?=
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer \
	   -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_WARN = $(WARN)
FUZZ_CORE_O = $(CORE:%.c=$(FUZZ_BUILD)/%.o) \
	   $(FUZZ_BUILD)/tests/fuzz/fuzz_common.o
FUZZ_BINS = $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/bin/fuzz_%)
.SECONDARY: $(FUZZ_CORE_O) $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/tests/fuzz/fuzz_%.o)

$(FUZZ_BUILD)/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $< (fuzz)"
	@$(FUZZ_CC) $(CPPFLAGS) -Itests/fuzz $(FUZZ_CFLAGS) $(FUZZ_WARN) \
	    $(DEPFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/bin/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_CORE_O)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $^ $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: export ASAN_OPTIONS = detect_leaks=1
fuzz: export UBSAN_OPTIONS = print_stacktrace=1
fuzz: fuzz-build
	@failed=; for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts/$$t; \
	    log=$(FUZZ_BUILD)/fuzz_$$t.log; \
	    echo "  FUZZ    $$t for $(FUZZ_SECONDS) s (log: $$log)"; \
	    if $(FUZZ_BUILD)/bin/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	        -timeout=30 -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t/ $(FUZZ_FLAGS) \
	        $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t >$$log 2>&1; \
	    then grep -E '^#[0-9]+.*(DONE|pulse)' $$log | tail -1; \
	        grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' \
	        $$log | tr '\n' ' '; echo; \
	    else failed="$$failed $$t"; tail -60 $$log; fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: FAILED:$$failed (inputs in" \
	    "$(FUZZ_BUILD)/artifacts/)"; exit 1; fi

# Long runs that add up across runs (tests/fuzz/fuzz_long.sh: corpora and
# totals kept in $(FUZZ_BUILD)/long/, a table per target at the end):
#   make fuzz-long FUZZ_SECONDS=3600 FUZZ_JOBS=2   then   make fuzz-merge
FUZZ_JOBS ?= 1
fuzz-long: export ASAN_OPTIONS = detect_leaks=1
fuzz-long: export UBSAN_OPTIONS = print_stacktrace=1
fuzz-long: fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_TARGETS="$(FUZZ_TARGETS)" \
	    bash tests/fuzz/fuzz_long.sh run $(FUZZ_SECONDS) $(FUZZ_JOBS)

# What the long runs found, minimised into tests/fuzz/corpus/<target>.
fuzz-merge: fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_TARGETS="$(FUZZ_TARGETS)" \
	    bash tests/fuzz/fuzz_long.sh merge

# Line coverage of the parsers from replaying the corpora (seeds, what the
# long runs kept, regressions): the targets built again with clang's
# source-based coverage, no sanitizers, into $(FUZZ_COV_BUILD).
FUZZ_COV_BUILD ?= build/fuzz-cov
fuzz-coverage:
	@$(MAKE) --no-print-directory FUZZ_BUILD=$(FUZZ_COV_BUILD) \
	    FUZZ_CFLAGS='-g -O0 -fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping' \
	    fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_COV_BUILD=$(FUZZ_COV_BUILD) \
	    FUZZ_TARGETS="$(FUZZ_TARGETS)" bash tests/fuzz/fuzz_coverage.sh

# The minimised inputs of findings, each run once (tests/fuzz/regressions):
# every file below it but its README, whatever FUZZ_TARGETS says, each
# with the target its first folder names; a file outside a target's
# folder, or a folder with no target, fails too.
FUZZ_REGRESS = tests/fuzz/regressions
FUZZ_REGRESS_BINS = $(foreach t,$(patsubst $(FUZZ_REGRESS)/%/,%,\
	   $(wildcard $(FUZZ_REGRESS)/*/)),$(if $(wildcard tests/fuzz/fuzz_$(t).c),\
	   $(FUZZ_BUILD)/bin/fuzz_$(t)))
fuzz-regress: export ASAN_OPTIONS = detect_leaks=1
fuzz-regress: export UBSAN_OPTIONS = print_stacktrace=1
fuzz-regress: $(FUZZ_REGRESS_BINS)
	@n=0; failed=; \
	for f in $$(find $(FUZZ_REGRESS) -type f \
	    ! -path $(FUZZ_REGRESS)/README.md | LC_ALL=C sort); do \
	    n=$$((n + 1)); rel=$${f#$(FUZZ_REGRESS)/}; t=$${rel%%/*}; \
	    bin=$(FUZZ_BUILD)/bin/fuzz_$$t; \
	    if [ "$$t" = "$$rel" ] || [ ! -x $$bin ]; then \
	        echo "  FAIL    $$f (no target fuzz_$$t)"; \
	        failed="$$failed $$f"; continue; fi; \
	    if out=$$($$bin $$f 2>&1); then echo "  PASS    $$f"; \
	    else echo "  FAIL    $$f"; echo "$$out" | tail -30; \
	        failed="$$failed $$f"; fi; \
	done; \
	echo "fuzz-regress: $$n input(s), $$(echo $$failed | wc -w) failed"; \
	[ -z "$$failed" ]

# Rebuilds the seeds from the project's own tools (tests/fuzz/gen_corpus.sh).
fuzz-corpus: $(BINDIR)/mscep-admin $(BUILD)/fuzz-gen-corpus
	sh tests/fuzz/gen_corpus.sh $(BINDIR)/mscep-admin \
	    $(BUILD)/fuzz-gen-corpus tests/fuzz/corpus

$(BUILD)/fuzz-gen-corpus: $(BUILD)/tests/fuzz/gen_corpus.o \
	    $(BUILD)/tests/fuzz/fuzz_common.o $(BUILD)/tests/unit/fixture.o \
	    $(CORE_O)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

clean:
	rm -rf build bin
