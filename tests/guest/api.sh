#!/usr/bin/env bash
# The control API on host KVM, driven as its users drive it: with curl over
# the Unix socket and with `minivmm ctl`.  The guest is guests/serialcount.S,
# a multiboot kernel for the pc machine that prints "COUNT 0" ...
# "COUNT 599", "COUNT-END" on the serial line and resets (with "forever"
# on its command line, as in the SDK sequence, it counts without end).
#
#   api-pc-pause          `minivmm run -M pc ... --api-sock`: ctl pause holds
#                         the count (no byte for 500 ms, state Paused), ctl
#                         resume lets it go on
#   api-pc-snapshot       ctl pause + ctl snapshot DIR mid-count: a state file
#                         and a sparse memory file; ctl stop ends the process
#   api-pc-restore-cli    a new process, `minivmm run --restore DIR`: the
#                         first process's output and its own, put together,
#                         are exactly the whole count, and it ends with the
#                         guest's reset
#   api-pc-restore-api    another new process, `minivmm --api-sock` and curl
#                         PUT /snapshot/load (resume_vm): the same
#   api-sdk-sequence      the requests firecracker-go-sdk sends, in its
#                         order, replayed with curl against `minivmm
#                         --api-sock --id`: GET /machine-config (its wait for
#                         the socket), PUT /logger, /metrics, /machine-config,
#                         /boot-source, /drives/rootfs, /network-interfaces/
#                         eth0 and /vsock where minivmm has those devices,
#                         /actions InstanceStart; then GET /, PATCH /vm
#                         Paused and Resumed, Paused again, PUT
#                         /snapshot/create, FlushMetrics; each answer's
#                         status as Firecracker's, the guest counting
#   api-sdk-logger        what PUT /logger asked: minivmm's lines in the log
#                         file, with their level
#
#   make && tests/guest/api.sh        # from the repository root
#
# Environment: MINIVMM (default ./minivmm), GUESTS (default build/guests).
# SKIPs without /dev/kvm, without curl (Debian package curl), or in a build
# without the API.  Prints PASS/FAIL/SKIP lines and "api: N passed, N
# failed, N skipped"; exits 1 if any failed.
set -u

cd "$(dirname "$0")/../.." || exit 2
MINIVMM=${MINIVMM:-./minivmm}
G=${GUESTS:-build/guests}
GUEST=$G/serialcount.bin
CASES="api-pc-pause api-pc-snapshot api-pc-restore-cli api-pc-restore-api api-sdk-sequence api-sdk-logger"
COUNT=600

TIER_NAME=api
. tests/verdict.sh

skip_all() {
	for c in $CASES; do skip "$c" "$1"; done
	closing
}
[ -x "$MINIVMM" ] && [ -f "$GUEST" ] || { fail api "$MINIVMM or $GUEST is missing (run make first)"; closing; }
grep -aq 'was built without the API' "$MINIVMM" && skip_all "this minivmm was built without the API (libjansson-dev, libhttp-parser-dev)"
[ -n "$kvm_missing" ] && skip_all "$kvm_missing"
command -v curl >/dev/null || skip_all "no curl (Debian package curl)"

W=$(mktemp -d "${TMPDIR:-/tmp}/minivmm-api.XXXXXX") || exit 2
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$W"' EXIT

# The whole count, as the guest prints it.
{
	for ((i = 0; i < COUNT; i++)); do echo "COUNT $i"; done
	echo COUNT-END
} >"$W/expected"

# api SOCK METHOD PATH [BODY]: curl; prints "STATUS BODY".
api() {
	curl -s --max-time 20 --unix-socket "$1" -X "$2" "http://localhost$3" \
		${4:+-H 'Content-Type: application/json' -d "$4"} -w ' %{http_code}' 2>&1 |
		awk '{ code = $NF; $NF = ""; sub(/ $/, ""); print code, $0 }'
}
wait_sock() { for _ in $(seq 200); do [ -S "$1" ] && return 0; sleep 0.05; done; return 1; }
# wait_line FILE TEXT SECONDS
wait_line() {
	for _ in $(seq $(($3 * 20))); do grep -qx -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
# wait_exit PID SECONDS: its exit status, or 124 after killing it.
wait_exit() {
	for _ in $(seq $(($2 * 20))); do
		kill -0 "$1" 2>/dev/null || { wait "$1"; return; }
		sleep 0.05
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 124
}
# whole FILE...: put together, the files are exactly the whole count.
whole() { cat "$@" | cmp -s - "$W/expected"; }
lines() { cat "$@" | wc -l; }

# --- a pc-machine guest under `minivmm run --api-sock` ----------------------
S1=$W/run.sock
"$MINIVMM" run -M pc -m 64M -kernel "$GUEST" -serial stdio --api-sock "$S1" \
	--timeout 120 </dev/null >"$W/out1" 2>"$W/err1" &
p1=$!
pids+=("$p1")
if ! wait_sock "$S1" || ! wait_line "$W/out1" "COUNT 50" 60; then
	why="no socket or no count: $(head -n 2 "$W/err1" | tr '\n' ' ')"
	for c in $CASES; do
		case $c in api-sdk-*) ;; *) fail "$c" "$why" ;; esac
	done
else
	"$MINIVMM" ctl "$S1" pause >"$W/ctl" 2>&1
	r1=$?
	st=$("$MINIVMM" ctl "$S1" status 2>&1)
	sleep 0.2
	a=$(stat -c %s "$W/out1")
	sleep 0.5
	b=$(stat -c %s "$W/out1")
	"$MINIVMM" ctl "$S1" resume >>"$W/ctl" 2>&1
	r2=$?
	if [ "$r1" = 0 ] && [ "$r2" = 0 ] && [ "$st" = Paused ] && [ "$a" = "$b" ] &&
		wait_line "$W/out1" "COUNT $(($(lines "$W/out1") + 50))" 60; then
		pass api-pc-pause "no output for 500 ms while $st; counting again after resume"
	else
		fail api-pc-pause "pause $r1, status '$st', output $a then $b bytes, resume $r2: $(tr '\n' ' ' <"$W/ctl")"
	fi

	"$MINIVMM" ctl "$S1" pause >"$W/ctl" 2>&1
	"$MINIVMM" ctl "$S1" snapshot "$W/snap" >>"$W/ctl" 2>&1
	r1=$?
	"$MINIVMM" ctl "$S1" stop >>"$W/ctl" 2>&1
	wait_exit "$p1" 20
	e1=$?
	# shellcheck disable=SC2046 # two words
	set -- $(stat -c '%s %b' "$W/snap/memory" 2>/dev/null)
	msize=${1:-} mblocks=${2:-}
	if [ "$r1" = 0 ] && [ -s "$W/snap/state" ] && [ "${msize:-0}" = $((64 << 20)) ] &&
		[ $((mblocks * 512)) -lt "$msize" ] && [ "$e1" != 124 ]; then
		pass api-pc-snapshot "at line $(lines "$W/out1"); memory $((mblocks / 2)) KiB of 64 MiB allocated; stop: exit $e1"
	else
		fail api-pc-snapshot "snapshot $r1, memory '${msize:-}' '${mblocks:-}', exit $e1: $(tr '\n' ' ' <"$W/ctl")"
	fi

	timeout 120 "$MINIVMM" run --restore "$W/snap" </dev/null >"$W/out2" 2>"$W/err2"
	e2=$?
	if whole "$W/out1" "$W/out2" && [ "$e2" = 4 ]; then
		pass api-pc-restore-cli "$(lines "$W/out1") + $(lines "$W/out2") lines: the whole count; reset, exit 4"
	else
		fail api-pc-restore-cli "exit $e2, $(lines "$W/out1") + $(lines "$W/out2") lines, first after: '$(head -n 1 "$W/out2")': $(head -n 2 "$W/err2" | tr '\n' ' ')"
	fi

	S2=$W/load.sock
	"$MINIVMM" --api-sock "$S2" </dev/null >"$W/out3" 2>"$W/err3" &
	p3=$!
	pids+=("$p3")
	wait_sock "$S2"
	ans=$(api "$S2" PUT /snapshot/load "{\"snapshot_path\":\"$W/snap/state\",\"mem_backend\":{\"backend_type\":\"File\",\"backend_path\":\"$W/snap/memory\"},\"resume_vm\":true}")
	wait_exit "$p3" 120
	e3=$?
	if [ "${ans%% *}" = 204 ] && whole "$W/out1" "$W/out3" && [ "$e3" = 0 ]; then
		pass api-pc-restore-api "snapshot/load 204; the whole count; the reset ends it with 0, as Firecracker's reboot does"
	else
		fail api-pc-restore-api "answer '$ans', exit $e3, $(lines "$W/out1") + $(lines "$W/out3") lines: $(head -n 2 "$W/err3" | tr '\n' ' ')"
	fi
fi

# --- firecracker-go-sdk's sequence --------------------------------------------
S=$W/sdk.sock
"$MINIVMM" --api-sock "$S" --id sdk-vm </dev/null >"$W/sdk.out" 2>"$W/sdk.err" &
p4=$!
pids+=("$p4")
wait_sock "$S"
truncate -s 16M "$W/rootfs.ext4"
seq_log=$W/sdk.seq
: >"$seq_log"
# step WANT METHOD PATH [BODY]: one request of the sequence, its status checked.
bad=0
step() {
	local want=$1 ans
	shift
	ans=$(api "$S" "$@")
	echo "$1 $2 -> $ans" >>"$seq_log"
	[ "${ans%% *}" = "$want" ] || { bad=$((bad + 1)); echo "  want $want" >>"$seq_log"; }
}
# Does minivmm have the device behind an endpoint?  (Its -device help.)
has_device() { "$MINIVMM" run -device help 2>&1 | grep -qw -- "$1"; }

step 200 GET /machine-config
step 204 PUT /logger "{\"log_path\":\"$W/sdk.log\",\"level\":\"Debug\",\"show_level\":true,\"show_log_origin\":false}"
step 204 PUT /metrics "{\"metrics_path\":\"$W/sdk.metrics\"}"
step 204 PUT /machine-config '{"vcpu_count":1,"mem_size_mib":64,"smt":false,"track_dirty_pages":false}'
step 204 PUT /boot-source "{\"kernel_image_path\":\"$GUEST\",\"boot_args\":\"console=ttyS0 reboot=k panic=1 pci=off forever\"}"
step 204 PUT /drives/rootfs "{\"drive_id\":\"rootfs\",\"path_on_host\":\"$W/rootfs.ext4\",\"is_root_device\":true,\"is_read_only\":false}"
extra=
# The tap: minivmm creates it (root, /dev/net/tun), as Firecracker's callers
# usually have made it before.
if has_device virtio-net-pci && [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ]; then
	step 204 PUT /network-interfaces/eth0 '{"iface_id":"eth0","host_dev_name":"minivmm-sdk0","guest_mac":"06:00:ac:10:00:02"}'
	extra="$extra network"
fi
if has_device vsock; then
	step 204 PUT /vsock "{\"vsock_id\":\"vsock0\",\"guest_cid\":3,\"uds_path\":\"$W/v.sock\"}"
	extra="$extra vsock"
fi
step 204 PUT /actions '{"action_type":"InstanceStart"}'
wait_line "$W/sdk.out" "COUNT 20" 60
step 200 GET /
grep -q '"state":"Running"' <<<"$(api "$S" GET /)" || { bad=$((bad + 1)); echo "  not Running" >>"$seq_log"; }
step 204 PATCH /vm '{"state":"Paused"}'
step 204 PATCH /vm '{"state":"Resumed"}'
step 204 PATCH /vm '{"state":"Paused"}'
step 204 PUT /snapshot/create "{\"snapshot_type\":\"Full\",\"snapshot_path\":\"$W/sdk.snap\",\"mem_file_path\":\"$W/sdk.mem\"}"
step 204 PUT /actions '{"action_type":"FlushMetrics"}'
step 400 PUT /machine-config '{"vcpu_count":2,"mem_size_mib":64}'
step 204 PUT /actions '{"action_type":"Stop"}'
wait_exit "$p4" 20
e4=$?
if [ "$bad" = 0 ] && [ -s "$W/sdk.snap" ] && [ -s "$W/sdk.mem" ] &&
	grep -q '"snapshots_created":1' "$W/sdk.metrics" 2>/dev/null && [ "$e4" != 124 ]; then
	pass api-sdk-sequence "$(wc -l <"$seq_log") requests${extra:+ (with$extra)}, each answered as Firecracker does; snapshot written, metrics flushed"
else
	fail api-sdk-sequence "$bad wrong answers (exit $e4): $(grep -B1 '^  ' "$seq_log" | tr '\n' ' ' | tail -c 600); snapshot: $(ls "$W" | grep sdk | tr '\n' ' '); metrics: $(tail -c 300 "$W/sdk.metrics" 2>&1)"
fi
if grep -q '\[Info\]' "$W/sdk.log" 2>/dev/null; then
	pass api-sdk-logger "$(wc -l <"$W/sdk.log") lines in the log file, with their level"
else
	fail api-sdk-logger "log file: $(head -c 300 "$W/sdk.log" 2>&1 | tr '\n' ' ')"
fi
closing
