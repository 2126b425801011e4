#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Run one libfastipc example in the test guest (the module is loaded) and
# print TAP lines:  sh run.sh echo|names|fdpass|death|quickstart
# FASTIPC_AS, when set, is a command prefix (the guest's asuser) for every
# program but the context manager, which needs CAP_SYS_ADMIN: the quick
# start's server and clients all run with it.
cd "$(dirname "$0")" || exit 1
as=${FASTIPC_AS:-}
out=/tmp/example.$$
fails=0

check() {	# check NAME COMMAND...: "ok"/"not ok" from the exit status
	name=$1
	shift
	if "$@"; then
		echo "ok - example $name"
	else
		echo "not ok - example $name"
		fails=$((fails + 1))
	fi
}

reap() {	# reap PID NAME: the background server must exit by itself
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -9 "$1"
		echo "not ok - example $2 exits when told"
		fails=$((fails + 1))
	else
		wait "$1"
		check "$2 exits cleanly" [ $? = 0 ]
	fi
}

wait_for() {	# wait_for FILE TEXT: up to 10 s
	i=0
	until grep -q "$2" "$1" 2>/dev/null; do
		[ $i -ge 100 ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
}

case $1 in
echo)
	./echo-server >$out.srv 2>&1 &
	srv=$!
	check "echo: client gets its message back" \
		sh -c "$as ./echo-client 'hello, fastipc' >$out 2>&1"
	cat $out $out.srv
	check "echo: reply printed" grep -q "reply (txn [1-9][0-9]*): hello, fastipc" $out
	check "echo: quit" $as ./echo-client --quit
	reap $srv "echo: server"
	;;
names)
	./name-service registry >$out.reg 2>&1 &
	reg=$!
	$as ./name-service provide clock >$out.clock 2>&1 &
	clock=$!
	$as ./name-service provide calendar >$out.cal 2>&1 &
	cal=$!
	i=0
	until $as ./name-service lookup clock >$out 2>&1 || [ $i -ge 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	cat $out
	check "names: lookup clock reaches the clock service" \
		grep -q "clock says hello to pid" $out
	i=0
	until $as ./name-service lookup calendar >$out 2>&1 ||
	      [ $i -ge 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	cat $out
	check "names: lookup calendar reaches the calendar service" \
		grep -q "calendar says hello to pid" $out
	check "names: an unknown name fails" \
		sh -c "! $as ./name-service lookup nosuch 2>$out"
	check "names: ... with ENOENT" grep -q "No such file" $out
	check "names: quit clock" $as ./name-service quit clock
	check "names: quit calendar" $as ./name-service quit calendar
	check "names: quit registry" $as ./name-service quit registry
	reap $clock "names: clock service"
	reap $cal "names: calendar service"
	reap $reg "names: registry"
	cat $out.reg
	;;
fdpass)
	echo "a file opened by the server $$" >/tmp/fdpass.txt
	./fd-pass server /tmp/fdpass.txt >$out.srv 2>&1 &
	srv=$!
	check "fdpass: client reads the server's file" \
		sh -c "$as ./fd-pass client >$out 2>&1"
	cat $out
	check "fdpass: content matches" grep -q "a file opened by the server $$" $out
	check "fdpass: quit" $as ./fd-pass quit
	reap $srv "fdpass: server"
	;;
death)
	./death-watch server >$out.s1 2>&1 &
	s1=$!
	$as ./death-watch client >$out 2>&1 &
	cl=$!
	check "death: client connected" wait_for $out "connected to server $s1"
	kill -9 $s1
	wait $s1 2>/dev/null
	./death-watch server >$out.s2 2>&1 &
	s2=$!
	reap $cl "death: client reconnects"
	cat $out
	check "death: client saw the death" grep -q "server $s1 died" $out
	check "death: client reconnected to the new server" \
		grep -q "reconnected to server $s2" $out
	kill -9 $s2
	wait $s2 2>/dev/null
	;;
quickstart)
	dir=/tmp/quickstart.$$
	mkdir -p $dir && chmod 1777 $dir
	$as ./quickstart-server $dir/sock >$out.srv 2>&1 &
	srv=$!
	check "quickstart: server listens" wait_for $out.srv "serving on $dir/sock"
	check "quickstart: client gets the handle and calls it" \
		sh -c "$as ./quickstart-client $dir/sock 'hello, fastipc' >$out 2>&1"
	cat $out $out.srv
	check "quickstart: reply is the text upper-cased" \
		grep -qx "HELLO, FASTIPC" $out
	check "quickstart: a second client, its own handle" \
		sh -c "$as ./quickstart-client $dir/sock again >$out 2>&1"
	check "quickstart: ... and its reply" grep -qx "AGAIN" $out
	kill $srv
	wait $srv 2>/dev/null
	rm -rf $dir
	;;
async)
	check "async: 64 calls in flight to 4 servers and a file read, one ring" \
		sh -c "$as ./async-calls 20000 >$out 2>&1"
	cat $out
	check "async: every call answered" grep -q "^async-calls: 20000 calls" $out
	;;
*)
	echo "not ok - example: unknown $1"
	exit 1
	;;
esac
rm -f $out $out.*
exit $fails
