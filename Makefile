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
#   make lib-tests       the library's test programs (static, for the VM),
#                        libfastipc-protobuf's with the example service
#   make protobuf        libfastipc-protobuf (.so, .a, .pc; needs
#                        libprotobuf-c-dev, protobuf-c-compiler)
#   make install-protobuf  install it (DESTDIR, PREFIX)
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
#   make install         module (signed with SIGN_KEY/SIGN_CERT when
#                        readable), udev rule, modules-load.d entry,
#                        libfastipc and its headers (DESTDIR, PREFIX)
#                        = install-module install-config install-lib
#   make install-config  udev rule and modules-load.d entry only (with DKMS)
#   make uninstall       remove all of that again (same variables)
#   make install-lib     libfastipc only: library, headers, pkg-config, man
#   make install-trace   fastipc-trace and its man page (needs clang,
#                        bpftool, libbpf-dev; not part of install)
#   make dist            fastipc-$(VERSION).tar.gz (DISTDIR, default build/),
#                        a release tarball that "dkms add" builds

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
	@cp -rp Kbuild VERSION module uapi $(KOBJ)/
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
	$(LIB_MAKE) tests protobuf-tests

protobuf:
	$(LIB_MAKE) protobuf

install-protobuf:
	$(LIB_MAKE) install-protobuf

# fastipc-pb-bench (static, for the VM): a protobuf RPC against a raw call.
protobuf-bench: lib
	$(LIB_MAKE) protobuf-bench

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

# The release tarball: every file git tracks, as the tree has it, under
# fastipc-$(VERSION)/.  "dkms add" of the unpacked directory builds it.
DISTDIR ?= $(BUILD)
dist:
	@mkdir -p $(DISTDIR)
	git ls-files -z | tar --null -T - --transform 's,^,fastipc-$(VERSION)/,' \
		--owner=0 --group=0 -czf $(DISTDIR)/fastipc-$(VERSION).tar.gz
	@echo "wrote $(DISTDIR)/fastipc-$(VERSION).tar.gz"

dkms-check:
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

# A test module holding misc minor 247 (tools/minor-holder), for the
# guest suite of fastipc's fallback to a dynamic minor; never installed.
HOLDER_OBJ := $(BUILD)/minor-holder/$(KVER)
minor-holder:
	@mkdir -p $(HOLDER_OBJ)
	@cp -p tools/minor-holder/Kbuild tools/minor-holder/minor_holder.c \
		$(HOLDER_OBJ)/
	$(MAKE) -C $(KDIR) M=$(HOLDER_OBJ) modules

# fastipc-fuzz, static: the guest has only busybox.
fuzz-build:
	$(MAKE) -C tools/fuzz OUTPUT=$(BUILD)/fuzz UAPI_DIR=$(CURDIR)/uapi

fuzz:
	N='$(N)' SEED='$(SEED)' TIME='$(TIME)' KVER='$(KVER)' DEBUG='$(DEBUG)' \
		FUZZ_ARGS='$(FUZZ_ARGS)' BUILD='$(BUILD)' $(TOOLS)/fuzz/run.sh

# The module goes to /lib/modules/$(KVER)/extra/fastipc.ko.  It is signed
# (for UEFI Secure Boot) when SIGN_KEY and SIGN_CERT are readable: by
# default the key DKMS signs with, enrolled with "mokutil --import".
# Otherwise it is installed unsigned, as a kernel without enforced
# signatures loads it.
MODDIR := /lib/modules/$(KVER)/extra
SIGN_KEY ?= /var/lib/dkms/mok.key
SIGN_CERT ?= /var/lib/dkms/mok.pub
SIGN_HASH = $(or $(shell sed -n 's/^CONFIG_MODULE_SIG_HASH=//p' \
		$(KDIR)/include/config/auto.conf | tr -d '"'),sha256)
MODULESLOADDIR ?= /etc/modules-load.d

install: install-module install-config install-lib
	[ -n "$(DESTDIR)" ] || ldconfig

install-module: module
	install -d $(DESTDIR)$(MODDIR)
	if [ -r "$(SIGN_KEY)" ] && [ -r "$(SIGN_CERT)" ]; then \
		$(KDIR)/scripts/sign-file $(SIGN_HASH) $(SIGN_KEY) \
			$(SIGN_CERT) $(KOBJ)/module/fastipc.ko \
			$(DESTDIR)$(MODDIR)/fastipc.ko && \
		echo "fastipc.ko signed with $(SIGN_KEY)"; \
	else \
		install -m 0644 $(KOBJ)/module/fastipc.ko $(DESTDIR)$(MODDIR)/ && \
		echo "fastipc.ko not signed (no readable SIGN_KEY, SIGN_CERT)"; \
	fi
	[ -n "$(DESTDIR)" ] || depmod -a $(KVER)

# What the module's packaging needs besides the module (DKMS installs
# only the module): the udev rule and the modules-load.d entry.
install-config:
	install -D -m 0644 udev/60-fastipc.rules $(DESTDIR)$(UDEVDIR)/60-fastipc.rules
	install -D -m 0644 modules-load.d/fastipc.conf \
		$(DESTDIR)$(MODULESLOADDIR)/fastipc.conf

# Everything "make install" put there, with the same variables.
uninstall:
	$(LIB_MAKE) uninstall uninstall-protobuf
	$(TRACE_MAKE) uninstall
	rm -f $(DESTDIR)$(MODDIR)/fastipc.ko $(DESTDIR)$(UDEVDIR)/60-fastipc.rules \
		$(DESTDIR)$(MODULESLOADDIR)/fastipc.conf
	[ -n "$(DESTDIR)" ] || depmod -a $(KVER)
	[ -n "$(DESTDIR)" ] || ldconfig

clean:
	rm -rf $(BUILD)

.PHONY: all module selftests lib lib-tests examples install-lib uapi-check \
	checkpatch dist dkms-check check check-debug bench bench-build bench-smoke bench-floor \
	bench-profile fuzz-build fuzz install install-module install-config \
	install-protobuf protobuf protobuf-bench minor-holder uninstall clean \
	trace trace-tests install-trace
