#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Gather every program the guest runs as a suite (kselftests, and whatever
# else make check builds for the guest) into DIR/tests, plus the guest-side
# driver and asuser (its unprivileged lane).  Used by make check and make
# check-debug alike.
#   tools/stage-tests.sh DIR
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
out=${1:?usage: stage-tests.sh DIR}
rm -rf "$out/tests"
mkdir -p "$out/tests"
cp "$build"/user/selftests/*_test "$out/tests/"
cp "$top/tools/vm/guest-check.sh" "$build/user/asuser" "$out/"

# The autoload suite: it uses the staged "make install" of its kernel when
# the host passes one (build/install-stage/KVER) and skips otherwise.
cp "$top/tools/vm/install-autoload.sh" "$out/tests/install-autoload"
# ... and the fallback to a dynamic minor, when the host passes
# minor_holder.ko.
cp "$top/tools/vm/install-minor-taken.sh" "$out/tests/install-minor-taken"

# libfastipc (when built): its suites, one runner per example and the
# external program built with pkg-config --static.  The examples live in
# tests/.examples, which the guest's tests/* does not list.
if [ -d "$build/user/lib/test" ]; then
	cp "$build"/user/lib/test/*_test "$out/tests/"
fi
if [ -d "$build/user/examples" ]; then
	cp -r "$build/user/examples" "$out/tests/.examples"
	for e in echo names fdpass death quickstart async; do
		printf '#!/bin/sh\nexec sh tests/.examples/run.sh %s\n' "$e" \
			>"$out/tests/example-$e"
		chmod +x "$out/tests/example-$e"
	done
fi
if [ -x "$build/user/external-static" ]; then
	cp "$build/user/external-static" "$out/tests/.external-static"
	cat >"$out/tests/lib-external" <<'EOT'
#!/bin/sh
# The program make check built with pkg-config --static against the
# DESTDIR-staged install: it runs and sees the module.
out=$(mktemp)
if ./tests/.external-static >$out 2>&1 &&
   grep -q 'module features' $out; then
	echo "ok - lib: external program (pkg-config --static) runs with the module"
else
	echo "not ok - lib: external program (pkg-config --static) runs with the module"
fi
sed 's/^/# /' $out
rm -f $out
EOT
	chmod +x "$out/tests/lib-external"
fi

# fastipc-trace (when built) and the workload its suite runs it on.
if [ -x "$build/user/trace/fastipc-trace" ] &&
   [ -x "$build/user/trace/trace-workload" ]; then
	mkdir -p "$out/tests/.trace"
	cp "$build/user/trace/fastipc-trace" "$build/user/trace/trace-workload" \
		"$out/tests/.trace/"
	cp "$top/tools/trace/test/trace-tool.sh" "$out/tests/trace"
	chmod +x "$out/tests/trace"
fi

# The fuzzer's short run (make check-debug: FASTIPC_STAGE_FUZZ=1), last:
# a module it wedged could not be unloaded for a suite after it.
if [ -n "${FASTIPC_STAGE_FUZZ:-}" ] && [ -x "$build/fuzz/fastipc-fuzz" ]; then
	mkdir -p "$out/tests/.fuzz"
	cp "$build/fuzz/fastipc-fuzz" "$out/tests/.fuzz/"
	cp "$top/tools/fuzz/fuzz-short.sh" "$out/tests/zz-fuzz"
	chmod +x "$out/tests/zz-fuzz"
fi
