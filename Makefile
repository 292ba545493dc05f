# mscep - NDES-compatible SCEP responder. See README.md.
#   make            build bin/mscep, bin/mscep-admin and the test tools
#   make run        install missing packages, init a demo CA, serve on lighttpd
#   make check      unit + end-to-end tests (installs missing packages)
#   make check-asan the same tests on an AddressSanitizer+UBSan build
#   make lint       cppcheck (warning, portability, performance), clean
#   make install    PREFIX=/usr/local SYSCONFDIR=/etc DESTDIR= (README:
#                   "Deploying"); keeps an existing mscep.ini

PREFIX	?= /usr/local
SYSCONFDIR ?= /etc
STATEDIR ?= /var/lib/mscep
BUILD	?= build
BINDIR	?= bin
CC	?= cc
CFLAGS	?= -O2 -g
SAN	?=
PORT	?= 8080

PKGS	 = libcrypto sqlite3 fcgi
WARN	 = -std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	   -Wstrict-prototypes -Wmissing-prototypes
CPPFLAGS += -D_GNU_SOURCE -Imscep -Ipolicy -I/usr/include/iniparser \
	   -DMSCEP_CONFIG='"$(SYSCONFDIR)/mscep/mscep.ini"'
LDLIBS	 = $(shell pkg-config --libs libcrypto sqlite3 2>/dev/null || \
	   echo -lcrypto -lsqlite3) -liniparser
ifeq ($(SAN),1)
CFLAGS	+= -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=address,undefined
endif

CORE	 = mscep/util.c mscep/log.c mscep/config.c mscep/ra.c \
	   mscep/scep_attr.c mscep/message.c mscep/certrep.c \
	   mscep/template.c mscep/issue.c mscep/store.c mscep/http.c \
	   mscep/worker.c mscep/pwpage.c mscep/pkiop.c mscep/ca_init.c \
	   mscep/tlscert.c \
	   policy/policy.c policy/policy_password.c policy/challenge.c \
	   policy/policy_intune.c policy/policy_exec.c mscep/runcmd.c \
	   mscep/events.c
UNIT	 = $(wildcard tests/unit/*.c)
CORE_O	 = $(CORE:%.c=$(BUILD)/%.o)
UNIT_O	 = $(UNIT:%.c=$(BUILD)/%.o)
HDRS	 = $(wildcard mscep/*.h policy/*.h tests/unit/*.h)

PROGS	 = $(BINDIR)/mscep $(BINDIR)/mscep-admin $(BINDIR)/scepcli \
	   $(BINDIR)/logsink $(BINDIR)/unit-tests

.PHONY: all deps run check check-unit check-e2e check-asan lint install clean

all: $(PROGS)

$(BUILD)/%.o: %.c $(HDRS) Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

$(BINDIR)/mscep: $(BUILD)/mscep/main.o $(BUILD)/mscep/supervise.o $(CORE_O)
	@mkdir -p $(BINDIR)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lfcgi

$(BINDIR)/mscep-admin: $(BUILD)/mscep/admin.o $(BUILD)/mscep/admin_mdm.o $(CORE_O)
	@mkdir -p $(BINDIR)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BINDIR)/unit-tests: $(UNIT_O) $(CORE_O)
	@mkdir -p $(BINDIR)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcunit

# An independent SCEP client: it shares no code with the responder.
$(BINDIR)/scepcli: tests/tools/scepcli.c
	@mkdir -p $(BINDIR)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< $(LDFLAGS) -lcrypto

# A stand-in syslog socket for the tests.
$(BINDIR)/logsink: tests/tools/logsink.c
	@mkdir -p $(BINDIR)
	@echo "  LD      $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< $(LDFLAGS)

deps:
	@sh deploy/install-deps.sh

run: deps all
	@sh deploy/demo.sh $(PORT)

check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory check-unit check-e2e

check-unit: $(BINDIR)/unit-tests
	cd tests && ../$(BINDIR)/unit-tests

check-e2e: all
	MSCEP_BIN=$(CURDIR)/$(BINDIR) sh tests/e2e/run.sh

# fast_unwind_on_malloc=0: full leak stacks through libcrypto.
check-asan: export ASAN_OPTIONS = detect_leaks=1:fast_unwind_on_malloc=0
check-asan: export UBSAN_OPTIONS = print_stacktrace=1:halt_on_error=1
check-asan: deps
	@$(MAKE) --no-print-directory SAN=1 BUILD=build/asan \
	    BINDIR=build/asan/bin all check-unit check-e2e

install: $(BINDIR)/mscep $(BINDIR)/mscep-admin
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/mscep \
	    $(DESTDIR)$(PREFIX)/share/mscep $(DESTDIR)$(SYSCONFDIR)/mscep \
	    $(DESTDIR)$(PREFIX)/share/doc/mscep
	install -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/mscep/
	install -m 0755 $(BINDIR)/mscep $(BINDIR)/mscep-admin \
	    $(DESTDIR)$(PREFIX)/sbin/
	install -m 0755 deploy/cgi/mscep-bridge $(DESTDIR)$(PREFIX)/lib/mscep/
	cp -R deploy/apache deploy/lighttpd deploy/nginx deploy/systemd \
	    deploy/spawn-fcgi $(DESTDIR)$(PREFIX)/share/mscep/
	test -f $(DESTDIR)$(SYSCONFDIR)/mscep/mscep.ini || \
	    sed 's|^StateDir = .*|StateDir = $(STATEDIR)|' etc/mscep.ini > \
	    $(DESTDIR)$(SYSCONFDIR)/mscep/mscep.ini

# Static analysis (issue 6): cppcheck's warning, portability and performance
# checks over every C file, reading the real OpenSSL headers so that its
# ASN1 template macros parse; findings in system headers are not ours.
lint:
	cppcheck --quiet --enable=warning,portability,performance --std=c11 \
	    --error-exitcode=1 --inline-suppr -D_GNU_SOURCE -D__x86_64__ \
	    -Imscep -Ipolicy \
	    -I/usr/include -I/usr/include/x86_64-linux-gnu \
	    -I/usr/include/iniparser --suppress='*:/usr/include/*' \
	    --suppress=missingIncludeSystem --suppress=unmatchedSuppression \
	    mscep policy tests/tools tests/unit

clean:
	rm -rf build bin
