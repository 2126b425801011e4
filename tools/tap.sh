# SPDX-License-Identifier: GPL-2.0
#
# Sourced by check.sh and check-debug.sh from the top of the tree: the
# build and log directories, the result counters and the run of every
# suite in one guest.

build=${BUILD:-$(pwd)/build}
logs=$build/logs
mkdir -p "$logs"
pass=0 fail=0 skip=0

# result NAME RC: one TAP line for a host-side step.
result() {
	if [ "$2" = 0 ]; then
		echo "ok - $1"; pass=$((pass + 1))
	else
		echo "not ok - $1"; fail=$((fail + 1))
	fi
}

# tap_count LOG RC NAME: show and count the TAP lines of a host-side
# script; one more failure when it exited non-zero without a "not ok".
tap_count() {
	local p f
	grep -E '^(not )?ok |^#' "$1"
	p=$(grep -cE '^ok [0-9]' "$1")
	f=$(grep -cE '^not ok [0-9]' "$1")
	pass=$((pass + p)) fail=$((fail + f))
	if [ "$2" != 0 ] && [ "$f" = 0 ]; then
		tail -n 20 "$1"
		result "$3 (exit status $2)" 1
	fi
}

# guest_suites LABEL LOG VM-RUN-ARGS...: boot a guest that runs
# guest-check.sh (staged by stage-tests.sh), count its TAP lines and the
# guest's own outcome (exit status, kernel splat).
guest_suites() {
	local label=$1 log=$2 vmrc p s f
	shift 2
	tools/vm/run "$@" 2>&1 | tee "$log"
	vmrc=${PIPESTATUS[0]}
	p=$(grep -cE '^ok [0-9-]' "$log" | tr -d ' ')
	s=$(grep -cE '^ok [0-9-].*# SKIP' "$log" | tr -d ' ')
	f=$(grep -cE '^not ok [0-9-]' "$log" | tr -d ' ')
	pass=$((pass + p - s)) skip=$((skip + s)) fail=$((fail + f))
	case $vmrc in
	0) ;;
	125) result "$label: no kernel splat in dmesg" 1 ;;
	124) result "$label: guest finished in time" 1 ;;
	*) result "$label: guest run completed (status $vmrc)" 1 ;;
	esac
	[ "$vmrc" = 125 ] || result "$label: no kernel splat in dmesg" 0
}
