# SPDX-License-Identifier: GPL-2.0
#
# fastipc top-level Makefile.  Kbuild never reads this file (it reads
# Kbuild); this one drives the module build for one or both kernels, the
# userspace parts, the VM test run and installation.
#
#   make                 module for KVER (default: the running kernel if its
#                        headers are installed, else Debian's 6.1 LTS)
#   make KVER=<release>  module for another installed header set
#   make check           install deps, build everything, test in the VM
#   make check-debug     the same suites on a KASAN/UBSAN/lockdep/kmemleak
#                        kernel built once from linux-source-6.1
#   make bench           the benchmark in the VM (the main job)
#   make bench-smoke     a few round trips of every mechanism in the VM
#   make bench-profile   where a 64 B round trip's instructions go (ftrace,
#                        deterministic mode), fastipc next to the floor
#   make bench-floor     the benchmark's floor module (bench/floor) for KVER,
#                        never installed
#   make lib             libfastipc (.so, .a, .pc) under build/user/lib
#   make lib-tests       the library's test programs (static, for the VM)
#   make examples        the libfastipc examples (static, for the VM)
#   make fuzz-build      fastipc-fuzz (static, for the VM) into build/fuzz
#   make fuzz            build, boot a kernel in QEMU and fuzz the module:
#                        N=ops SEED=s TIME=sec (default 100000, clock, 300)
#                        KVER=release (default: Debian's 6.1), DEBUG=1 for
#                        the cached KASAN/lockdep kernel, FUZZ_ARGS=more
#                        options; see Documentation/dev-tools/testing.rst
#   make trace           fastipc-trace, the BPF tool (static) under
#                        build/user/trace
#   make trace-tests     its guest test's workload
#   make trace-cost      a 64 B round trip without tracepoints (REV), with
#                        them disabled and with fastipc-trace attached, in
#                        the VM (deterministic mode)
#   make install         module + headers + udev rule + libfastipc +
#                        fastipc-trace (DESTDIR, PREFIX)
#   make install-lib     libfastipc only: library, headers, pkg-config, man
#   make install-trace   fastipc-trace and its man page only

VERSION := $(shell cat VERSION)
BUILD ?= $(CURDIR)/build
TOOLS := $(CURDIR)/tools

KVER ?= $(shell if [ -d /lib/modules/$$(uname -r)/build ]; then uname -r; \
	else $(TOOLS)/kernels.sh 2>/dev/null | head -n1; fi)
KDIR ?= /lib/modules/$(KVER)/build
KOBJ := $(BUILD)/$(KVER)

PREFIX ?= /usr/local
INCLUDEDIR ?= $(PREFIX)/include
LIBDIR ?= $(PREFIX)/lib
MANDIR ?= $(PREFIX)/share/man
UDEVDIR ?= /lib/udev/rules.d

MODULE_SRC := Kbuild VERSION $(wildcard module/*.[ch] module/Kbuild) \
	      uapi/linux/fastipc.h

all: module

# Each kernel gets its own copy of the sources so that builds for 6.1 and
# 6.12 never share objects.
module: $(MODULE_SRC)
	@mkdir -p $(KOBJ)
	@cp -r Kbuild VERSION module uapi $(KOBJ)/
	$(MAKE) -C $(KDIR) M=$(KOBJ) W=1 modules
	@echo "built $(KOBJ)/module/fastipc.ko"

$(BUILD)/ksft/.extracted:
	$(TOOLS)/ksft.sh $(BUILD)/ksft

USER_OUT := $(BUILD)/user
selftests: $(BUILD)/ksft/.extracted
	@mkdir -p $(USER_OUT)/selftests
	$(MAKE) -C selftests/fastipc KSFT_DIR=$(BUILD)/ksft \
		UAPI_DIR=$(CURDIR)/uapi OUTPUT=$(USER_OUT)/selftests \
		LDFLAGS=-static
	$(CC) -Wall -Wextra -Werror -O2 -static -o $(USER_OUT)/asuser \
		tools/vm/asuser.c

LIB_MAKE = $(MAKE) -C lib TOP=$(CURDIR) OUT=$(USER_OUT)/lib \
	   KSFT_DIR=$(BUILD)/ksft PREFIX=$(PREFIX) LIBDIR=$(LIBDIR) \
	   INCLUDEDIR=$(INCLUDEDIR) MANDIR=$(MANDIR)

lib:
	$(LIB_MAKE)

lib-tests: lib $(BUILD)/ksft/.extracted
	$(LIB_MAKE) tests

examples: lib
	$(MAKE) -C examples TOP=$(CURDIR) OUT=$(USER_OUT)/examples \
		LIBOUT=$(USER_OUT)/lib

install-lib: lib
	$(LIB_MAKE) install

TRACE_MAKE = $(MAKE) -C tools/trace TOP=$(CURDIR) OUT=$(USER_OUT)/trace \
	     LIBOUT=$(USER_OUT)/lib PREFIX=$(PREFIX) MANDIR=$(MANDIR)

trace:
	$(TRACE_MAKE)

trace-tests: lib
	$(TRACE_MAKE) tests

install-trace: trace
	$(TRACE_MAKE) install

trace-cost:
	BUILD=$(BUILD) KVER=$(KVER) tools/trace/cost.sh $(REV)

# trace.h is checked without --strict: TRACE_EVENT's layout (lines ending
# in '(', macro arguments aligned by tabs) is the kernel's own, which
# --strict flags in every include/trace/events header.
checkpatch: $(BUILD)/ksft/.extracted
	perl $(BUILD)/ksft/scripts/checkpatch.pl --no-tree --strict \
		$(shell cat .checkpatch-ignore 2>/dev/null) \
		--terse -f $(filter-out module/trace.h,$(wildcard module/*.[ch])) \
		uapi/linux/fastipc.h
	perl $(BUILD)/ksft/scripts/checkpatch.pl --no-tree \
		--terse -f module/trace.h

# The ABI header must stand alone in strict C90, as the kernel's uapi does.
uapi-check:
	printf '#include <linux/fastipc.h>\nint main(void) { return 0; }\n' | \
		$(CC) -std=c90 -pedantic -Wall -Werror -Iuapi -x c -o /dev/null -

dkms.conf: dkms.conf.in VERSION
	sed 's/@VERSION@/$(VERSION)/' $< >$@

dkms-check: dkms.conf
	$(TOOLS)/dkms-check.sh

check:
	$(TOOLS)/check.sh

check-debug:
	$(TOOLS)/check-debug.sh

bench:
	$(TOOLS)/bench.sh

# fastipc-bench, static: the guest has only busybox.
bench-build:
	$(MAKE) -C bench OUTPUT=$(BUILD)/bench UAPI_DIR=$(CURDIR)/uapi

bench-smoke:
	BENCH_QUICK=1 $(TOOLS)/bench.sh

bench-profile:
	$(TOOLS)/profile/profile.sh

# The floor module, benchmark only: its own build directory, so that
# neither "make install" nor dkms ever sees it.
FLOOR_OBJ := $(BUILD)/floor/$(KVER)
bench-floor:
	@mkdir -p $(FLOOR_OBJ)
	@cp bench/floor/Kbuild bench/floor/fastipc_floor.[ch] $(FLOOR_OBJ)/
	$(MAKE) -C $(KDIR) M=$(FLOOR_OBJ) W=1 modules
	@echo "built $(FLOOR_OBJ)/fastipc_floor.ko"

# fastipc-fuzz, static: the guest has only busybox.
fuzz-build:
	$(MAKE) -C tools/fuzz OUTPUT=$(BUILD)/fuzz UAPI_DIR=$(CURDIR)/uapi

fuzz:
	N='$(N)' SEED='$(SEED)' TIME='$(TIME)' KVER='$(KVER)' DEBUG='$(DEBUG)' \
		FUZZ_ARGS='$(FUZZ_ARGS)' BUILD='$(BUILD)' $(TOOLS)/fuzz/run.sh

install: module install-lib install-trace
	$(MAKE) -C $(KDIR) M=$(KOBJ) INSTALL_MOD_DIR=extra \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	install -D -m 0644 uapi/linux/fastipc.h $(DESTDIR)$(INCLUDEDIR)/linux/fastipc.h
	install -D -m 0644 udev/60-fastipc.rules $(DESTDIR)$(UDEVDIR)/60-fastipc.rules
	-[ -n "$(DESTDIR)" ] || depmod -a $(KVER)
	-[ -n "$(DESTDIR)" ] || ldconfig

clean:
	rm -rf $(BUILD) dkms.conf

.PHONY: all module selftests lib lib-tests examples install-lib uapi-check \
	checkpatch dkms-check check check-debug bench bench-build bench-smoke bench-floor \
	bench-profile fuzz-build fuzz install clean trace trace-tests install-trace trace-cost
