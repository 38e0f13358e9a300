# cpnet - top-level build. One library of all modules, the programs, one unit-test
# binary, fuzz targets. Variants (asan, s390x) are the same rules in another BUILD dir.

BUILD   ?= build
CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
EXTRA_CFLAGS ?=
EXTRA_LDFLAGS ?=

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-missing-field-initializers
CFLAGS  ?= -O2 -g
ALL_CFLAGS  = -std=gnu11 $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) -I. -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(EXTRA_LDFLAGS)
LIBS    := -lpthread -lz

MODULES := lib css qeth qdio vnic driver vswitch controller osa cmds cp api apps vhost
LIB_SRCS ?= $(filter-out %_main.c,$(wildcard $(addsuffix /*.c,$(MODULES))))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIBCPNET := $(BUILD)/libcpnet.a

# Programs: NAME_main.c anywhere in the modules builds $(BUILD)/NAME (underscores -> dashes).
PROG_SRCS := $(wildcard $(addsuffix /*_main.c,$(MODULES)))
PROGS := $(foreach s,$(PROG_SRCS),$(BUILD)/$(subst _,-,$(patsubst %_main.c,%,$(notdir $(s)))))

UNIT_TESTS ?= $(wildcard tests/unit/*.c)
# The CPNIC's back ends need no Hercules headers: their frame paths are unit tested too.
TEST_SRCS := tests/tmain.c $(UNIT_TESTS) hercules/cpnic_port.c
TEST_OBJS := $(TEST_SRCS:%.c=$(BUILD)/%.o)
TESTBIN   := $(BUILD)/cpnet-test

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

# The port API (api/cpnetport.h, doc/ports.md): libcpnetport.a carries the objects of
# the library it needs (the linker takes only those), and the example programs link
# against it with nothing but the public header.
LIBPORT := $(BUILD)/libcpnetport.a
PORT_EXAMPLES := $(BUILD)/port-echo
# The shared library: only the objects the API needs, position independent, and only
# the API's symbols exported (CPNP_API in cpnetport.h).
PORT_SO_SRCS := api/cpnetport.c vnic/vmlink.c lib/shmring.c lib/adapt.c vnic/port.c qdio/queue.c \
                qdio/blocks.c lib/gstor.c lib/cpnet.c lib/fdpass.c
PORT_SO_OBJS := $(PORT_SO_SRCS:%.c=$(BUILD)/pic/%.o)
LIBPORT_SO := $(BUILD)/libcpnetport.so


.PHONY: hercules
.PHONY: all test check-unit check-asan check-s390x check-guests check-scenarios \
        fuzz fuzz-smoke fuzz-long bench bench-guests bench-qemu install deps clean

all: $(LIBCPNET) $(PROGS) $(TESTBIN) $(LIBPORT) $(LIBPORT_SO) $(PORT_EXAMPLES) \
     $(BUILD)/port-echo-shared

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBCPNET): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(LIBPORT): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(LIBPORT_SO): $(PORT_SO_OBJS)
	$(CC) -shared -Wl,--no-undefined -Wl,-soname,libcpnetport.so.1 -o $@ $^ $(ALL_LDFLAGS) $(LIBS)

# The same example against the shared library (tests/scenarios/port_api.sh runs it with
# LD_LIBRARY_PATH=build; not installed).
$(BUILD)/port-echo-shared: samples/port_echo.c api/cpnetport.h $(LIBPORT_SO)
	ln -sf libcpnetport.so $(BUILD)/libcpnetport.so.1
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) -Iapi -o $@ $< -L$(BUILD) -lcpnetport $(ALL_LDFLAGS)

$(BUILD)/port-echo: samples/port_echo.c api/cpnetport.h $(LIBPORT)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) -Iapi -o $@ $< $(LIBPORT) $(ALL_LDFLAGS) $(LIBS)

define prog_rule
$(BUILD)/$(subst _,-,$(patsubst %_main.c,%,$(notdir $(1)))): $(BUILD)/$(1:.c=.o) $(LIBCPNET)
	$$(CC) $$(ALL_CFLAGS) -o $$@ $$^ $$(ALL_LDFLAGS) $$(LIBS)
endef
$(foreach s,$(PROG_SRCS),$(eval $(call prog_rule,$(s))))

$(TESTBIN): $(TEST_OBJS) $(LIBCPNET)
	$(CC) $(ALL_CFLAGS) -o $@ $(TEST_OBJS) $(LIBCPNET) $(ALL_LDFLAGS) $(LIBS)

# ---- tests -----------------------------------------------------------------------
# `make test` is the README's test command: everything, including real guests.
test: deps
	@tests/run-all.sh

check-unit: $(TESTBIN)
	$(TESTBIN)

check-asan:
	$(MAKE) BUILD=build/asan CC=gcc \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" build/asan/cpnet-test
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build/asan/cpnet-test

# Big-endian: the same unit tests, cross-built for s390x, run under qemu-user.  Without
# zlib (Debian's s390x zlib does not install beside the cross compiler): lib/pcapw
# refuses gzip there, and its tests check that instead.
check-s390x:
	$(MAKE) BUILD=build/s390x CC=s390x-linux-gnu-gcc EXTRA_LDFLAGS=-static \
	  EXTRA_CFLAGS=-DCPNET_HAVE_ZLIB=0 LIBS=-lpthread build/s390x/cpnet-test
	qemu-s390x-static build/s390x/cpnet-test

check-scenarios: all
	@tests/run-scenarios.sh

# The hostile guest's helper (t_hostile): a static s390x program for the initramfs; only
# when the cross compiler is installed (t_hostile prints SKIP without it).
S390X_CC ?= s390x-linux-gnu-gcc
# t_vsw's offload switch (ofl: ethtool -K/-k for busybox) likewise.
GUEST_TOOLS := $(if $(shell command -v $(S390X_CC)),$(BUILD)/guests/hostile $(BUILD)/guests/ofl)
$(BUILD)/guests/hostile: tests/guests/hostile.c
	@mkdir -p $(dir $@)
	$(S390X_CC) -std=gnu11 $(WARN) -O2 -static -o $@ $<
$(BUILD)/guests/ofl: tests/guests/ofl.c
	@mkdir -p $(dir $@)
	$(S390X_CC) -std=gnu11 $(WARN) -O2 -static -o $@ $<

check-guests: all $(GUEST_TOOLS)
	@tests/guests/run.sh

# libFuzzer targets, built with clang against an instrumented copy of the library.
FUZZ_BUILD := build/fuzz
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
fuzz: $(FUZZ_BINS)
FUZZ_LIB   := build/fuzz-lib/libcpnet.a
.PHONY: fuzz-lib lib
lib: $(LIBCPNET)
fuzz-lib:
	$(MAKE) BUILD=build/fuzz-lib CC=clang \
	  EXTRA_CFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" lib
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c fuzz-lib
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  -o $@ $< $(FUZZ_LIB) -lz
# CI: replay the committed corpus (tests/fuzz/corpus/<target>), then a short bounded run.
fuzz-smoke: fuzz
	@tests/fuzz/smoke.sh $(FUZZ_BINS)
# The campaign: FUZZ_RUNS executions per target (FUZZ_TARGETS=fuzz_x to pick some); what it
# finds is minimized into tests/fuzz/corpus/. Hours on a shared 2-core box (doc/hacking.md).
FUZZ_RUNS ?= 10000000
FUZZ_TARGETS ?= $(notdir $(FUZZ_BINS))
FUZZ_MAX_TIME ?= 0
fuzz-long: fuzz
	@FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_MAX_TIME=$(FUZZ_MAX_TIME) tests/fuzz/long.sh $(addprefix $(FUZZ_BUILD)/,$(FUZZ_TARGETS))

bench: all
	@scripts/deps.sh --bench
	@bench/run.sh

# Real-guest throughput: CPNIC vs Hercules' own LCS in one boot (root; minutes).
bench-guests: all
	@bench/guest_stream.sh

# A QEMU s390x guest through cpnet-vhost on a VSWITCH vs QEMU's own TAP, one boot (root).
bench-qemu: all
	@bench/qemu_stream.sh

deps:
	@scripts/deps.sh

# The Hercules 3.13 device module (needs tests/guests/fetch.sh for the headers).
hercules:
	tests/guests/fetch.sh
	$(MAKE) -C hercules

# The programs a user runs (osa-tap-test is a test tool: tests/scenarios/osa_tap.sh), the
# docs, and the samples they start from (share/cpnet/samples: doc/config.md).
INSTALL_PROGS := $(filter-out $(BUILD)/osa-tap-test,$(PROGS))
# As root without DESTDIR, install ends with ldconfig: the loader's cache must learn
# libcpnetport.so.1 in /usr/local/lib, or a program linked against it does not start
# (a staged install, DESTDIR, is the packager's to finish).
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/doc/cpnet \
	  $(DESTDIR)$(PREFIX)/share/cpnet/samples
	for p in $(INSTALL_PROGS); do install -m 0755 $$p $(DESTDIR)$(PREFIX)/bin/; done
	install -m 0644 README.md $(wildcard doc/*.md) $(DESTDIR)$(PREFIX)/share/doc/cpnet/
	install -m 0644 $(wildcard samples/*) $(DESTDIR)$(PREFIX)/share/cpnet/samples/
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/share/man/man3
	install -m 0644 api/cpnetport.h $(DESTDIR)$(PREFIX)/include/
	install -m 0644 $(LIBPORT) $(DESTDIR)$(PREFIX)/lib/
	install -m 0755 $(LIBPORT_SO) $(DESTDIR)$(PREFIX)/lib/libcpnetport.so.1
	ln -sf libcpnetport.so.1 $(DESTDIR)$(PREFIX)/lib/libcpnetport.so
	install -m 0644 doc/man/cpnetport.3 $(DESTDIR)$(PREFIX)/share/man/man3/
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 $(wildcard doc/man/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 $(wildcard doc/man/*.8) $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0755 $(PORT_EXAMPLES) $(DESTDIR)$(PREFIX)/bin/
	if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then \
	  ldconfig; fi

clean:
	rm -rf build

-include $(LIB_OBJS:.o=.d) $(TEST_OBJS:.o=.d) $(PROG_SRCS:%.c=$(BUILD)/%.d) $(PORT_SO_OBJS:.o=.d)
