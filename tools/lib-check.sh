#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side checks of libfastipc's packaging, as TAP lines: install into a
# staging DESTDIR, check the files, the SONAME and exported symbols, build
# an external program with pkg-config against the staged install (dynamic
# and static), run it (no module on the host: its no-device path), and
# render every man page.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
stage=$build/stage
out=$build/user/external
version=$(make -s -C "$top/lib" --no-print-directory version)
major=${version%%.*}
. "$top/tools/tap-steps.sh"
tap_prefix="lib: "
tap_log="$out.log"

rm -rf "$stage"
mkdir -p "$(dirname "$out")"
tap "make install-lib DESTDIR PREFIX=/usr" \
	make -s -C "$top" install-lib DESTDIR="$stage" PREFIX=/usr
lib=$stage/usr/lib
files_ok() {
	local f
	for f in "$lib/libfastipc.so.$version" "$lib/libfastipc.a" \
		 "$stage/usr/include/fastipc.h" \
		 "$stage/usr/include/linux/fastipc.h" \
		 "$lib/pkgconfig/fastipc.pc" \
		 "$stage/usr/share/man/man3/fastipc_call.3" \
		 "$stage/usr/share/man/man3/fastipc_reply_release.3" \
		 "$stage/usr/share/man/man7/fastipc.7"; do
		[ -f "$f" ] || { echo "missing $f"; return 1; }
	done
	[ "$(readlink "$lib/libfastipc.so.$major")" = "libfastipc.so.$version" ] &&
	[ "$(readlink "$lib/libfastipc.so")" = "libfastipc.so.$major" ]
}
tap "installed files and symlinks" files_ok
tap "SONAME is libfastipc.so.$major" \
	sh -c "readelf -d '$lib/libfastipc.so.$version' | grep -q 'SONAME.*\[libfastipc.so.$major\]'"
only_api() {
	local syms
	syms=$(nm -D --defined-only "$lib/libfastipc.so.$version" |
	       awk '$2 != "A" { print $3 }')
	echo "$syms"
	[ -n "$syms" ] && ! echo "$syms" | grep -v '^fastipc_[a-z_0-9]*@@LIBFASTIPC_[0-9.]*$'
}
tap "exports only fastipc_* (version script)" only_api
tap "version script: one node per minor of major $major" sh -c \
	"! grep -E '^LIBFASTIPC_' '$top/lib/libfastipc.map' | grep -vE '^LIBFASTIPC_$major\.[0-9]+ \{'"
tap "every exported function has a man page" sh -c "
	for s in \$(nm -D --defined-only '$lib/libfastipc.so.$version' |
		   awk '\$2 == \"T\" { sub(/@.*/, \"\", \$3); print \$3 }'); do
		[ -e '$top/lib/man/'\$s.3 ] || { echo \"no page for \$s\"; exit 1; }
	done"

export PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$stage
tap "pkg-config --modversion is $version" \
	sh -c "[ \"\$(pkg-config --modversion fastipc)\" = '$version' ]"
tap "external program builds with pkg-config (dynamic)" sh -c \
	"gcc -Wall -Werror -o '$out' '$top/lib/test/external.c' \$(pkg-config --cflags --libs fastipc)"
tap "external program NEEDs libfastipc.so.$major" \
	sh -c "readelf -d '$out' | grep -q 'NEEDED.*\[libfastipc.so.$major\]'"
tap "external program runs (no module on the host)" \
	env LD_LIBRARY_PATH="$lib" "$out"
cat "$out.log" | sed 's/^/# /'
tap "external program builds with pkg-config --static" sh -c \
	"gcc -Wall -Werror -static -o '$out-static' '$top/lib/test/external.c' \$(pkg-config --static --cflags --libs fastipc)"
# The quick start as the README shows it: the code is the example files
# verbatim (README and libfastipc.rst), and its cc commands build them
# against the staged install.
tap "quick start in README.md and libfastipc.rst is examples/ verbatim" \
	python3 "$top/tools/doc-snippets.py" "$top/README.md" \
	"$top/Documentation/userspace-api/libfastipc.rst"
quickstart_builds() {
	local dir=$build/user/quickstart

	rm -rf "$dir" && mkdir -p "$dir" &&
	cp "$top"/examples/quickstart-*.c "$dir/" &&
	python3 "$top/tools/doc-snippets.py" --commands "$top/README.md" |
		grep '^cc ' | tee /dev/stderr | (cd "$dir" && sh -ex) &&
	readelf -d "$dir/quickstart-client" | grep -q "NEEDED.*\[libfastipc.so.$major\]"
}
tap "quick start compiles with the README's cc commands" quickstart_builds
# libfastipc-protobuf: its own install, SONAME, symbols, man pages, and
# the example service built against it with pkg-config.
tap "make install-protobuf DESTDIR PREFIX=/usr" \
	make -s -C "$top" install-protobuf DESTDIR="$stage" PREFIX=/usr
pblib=$lib/libfastipc-protobuf.so.$version
tap "libfastipc-protobuf: SONAME libfastipc-protobuf.so.$major, links libfastipc.so.$major" \
	sh -c "readelf -d '$pblib' | grep -q 'SONAME.*\[libfastipc-protobuf.so.$major\]' &&
	       readelf -d '$pblib' | grep -q 'NEEDED.*\[libfastipc.so.$major\]'"
pb_api() {
	local syms s
	syms=$(nm -D --defined-only "$pblib" | awk '$2 == "T" { print $3 }')
	echo "$syms"
	[ -n "$syms" ] || return 1
	for s in $syms; do
		echo "$s" | grep -q '^fastipc_pb_[a-z_]*@@LIBFASTIPC_PROTOBUF_[0-9.]*$' ||
			return 1
		[ -e "$top/lib/protobuf/man/${s%@@*}.3" ] ||
			{ echo "no page for $s"; return 1; }
	done
}
tap "libfastipc-protobuf exports only fastipc_pb_*, each with a man page" pb_api
pb_external() {
	local gen=$build/user/lib/pb-gen

	gcc -Wall -Werror -I"$gen" -I"$top/examples/protobuf" -o "$out-pb" \
		"$top/lib/protobuf/test/external.c" \
		"$top/examples/protobuf/demo-service.c" "$gen/demo.pb-c.c" \
		$(pkg-config --cflags --libs fastipc-protobuf) &&
	LD_LIBRARY_PATH=$lib "$out-pb"
}
tap "the example service builds with pkg-config fastipc-protobuf and runs" \
	pb_external
man_ok() {
	local f w
	for f in "$top"/lib/man/*.[37] "$top"/lib/protobuf/man/*.3; do
		w=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
		[ -z "$w" ] || { echo "$f: $w"; return 1; }
		MANWIDTH=80 man -l "$f" 2>/dev/null | grep -q '^NAME' ||
			{ echo "$f: no NAME"; return 1; }
	done
}
tap "man pages render with man -l, no warnings" man_ok
tap "checkpatch --strict (userspace integer types allowed): lib/, examples/" \
	perl "$build/ksft/scripts/checkpatch.pl" --no-tree --strict --terse \
	--ignore PREFER_KERNEL_TYPES -f "$top"/lib/src/*.[ch] \
	"$top"/lib/include/fastipc.h "$top"/lib/test/*.[ch] \
	"$top"/examples/*.[ch]
# protobuf-c's types are CamelCase typedefs, which checkpatch also takes
# for operands of a multiplication ("const ProtobufCMessage *m"): those
# two checks are off for this code.
tap "checkpatch --strict (protobuf-c's types allowed): libfastipc-protobuf" \
	perl "$build/ksft/scripts/checkpatch.pl" --no-tree --strict --terse \
	--ignore PREFER_KERNEL_TYPES,CAMELCASE,SPACING \
	-f "$top"/lib/include/fastipc-protobuf.h "$top"/lib/protobuf/*.c \
	"$top"/lib/protobuf/test/*.c "$top"/examples/protobuf/*.[ch]
tap_end
