# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the host-side check scripts (dkms-check.sh, install-check.sh,
# lib-check.sh): one numbered TAP line per step.  The sourcing script sets
# tap_prefix (the words after the number) and tap_log (where a step's
# output goes; its last lines are shown when the step fails), and ends
# with tap_end.

n=0 failed=0

# tap DESCRIPTION COMMAND...: run COMMAND, one TAP line.
tap() {
	local d=$1
	shift
	n=$((n + 1))
	if "$@" >"$tap_log" 2>&1; then
		echo "ok $n - $tap_prefix$d"
	else
		echo "not ok $n - $tap_prefix$d"
		tail -n 30 "$tap_log" | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
}

# tap_end: the plan line; the exit status says whether a step failed.
tap_end() {
	echo "1..$n"
	[ "$failed" = 0 ]
}
