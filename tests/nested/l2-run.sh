#!/bin/sh
# l2-run (inside L1, busybox sh): run one L2 VMM command, bounded in time,
# optionally typing lines on its console, and report for the host.
#
#   l2-run NAME SECONDS [-i PATTERN LINE | -x PATTERN COMMAND]...
#          [-s PATTERN GRACE] -- VMM ARGS...
#
# The VMM's stdin is a FIFO that stays open while it runs (like a terminal
# nobody types on).  Each "-i PATTERN LINE" waits until PATTERN (a fixed
# string) appears in the VMM's stdout, then writes LINE and a newline to
# its stdin; "-x PATTERN COMMAND" runs COMMAND (sh -c, in L1, while the
# guest waits) once PATTERN has appeared, its output going into the console
# lines; they are carried out in order, several on one line when their
# patterns all match it.  "-s PATTERN GRACE": once PATTERN has
# appeared, the VMM has GRACE more seconds to exit by itself (the guest is
# about to power off or reboot) before it is stopped.  SECONDS bounds the
# whole run in any case.
#
# Report lines (all start with "NESTED: L2 NAME"):
#   NESTED: L2 NAME start                before the VMM starts
#   NESTED: L2 NAME | <stdout line>      the guest's console, CR removed
#   NESTED: L2 NAME ! <stderr line>      the VMM's own messages
#   NESTED: L2 NAME end exit=<code> ms=<wall> marker_ms=<wall to marker|->
# where <code> is the VMM's exit status, or "timeout code=<status>" when it
# was stopped after SECONDS, or "stopped code=<status>" when it was stopped
# GRACE seconds after the -s pattern.  Wall times come from /proc/uptime
# (10 ms steps) and start just before the VMM is started; the marker is
# $L2_MARKER (default MINIVMM-L2-INIT-REACHED).
# Exit status: 0 when the marker was seen, 1 when not.

name=$1 limit=$2
shift 2
inputs=0 stop_pat='' grace=0
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	if { [ "$1" = -i ] || [ "$1" = -x ]; } && [ $# -ge 3 ]; then
		inputs=$((inputs + 1))
		eval "pat_$inputs=\$2 line_$inputs=\$3 kind_$inputs=\$1"
		shift 3
	elif [ "$1" = -s ] && [ $# -ge 3 ]; then
		stop_pat=$2 grace=$3
		shift 3
	else
		echo "l2-run: bad argument $1" >&2
		exit 2
	fi
done
[ "${1:-}" = -- ] && shift
marker=${L2_MARKER:-MINIVMM-L2-INIT-REACHED}

ms_of() { # "SECONDS.CC" from /proc/uptime -> milliseconds
	echo $((${1%.*} * 1000 + 1${1#*.}0 - 1000))
}
ms_now() {
	ms_of "$(cut -d' ' -f1 /proc/uptime)"
}

dir=$(mktemp -d /tmp/l2-run.XXXXXX)
out=$dir/out err=$dir/err fifo=$dir/in
mkfifo "$fifo"
: >"$out"

# The VMM's stdout goes through awk, which stamps the marker's arrival,
# types each input line once its pattern has been printed and arms the
# grace-period stopper: nothing polls, so L1's one CPU is left to the VMM.
export L2RUN_MARKER="$marker" L2RUN_INPUTS=$inputs L2RUN_FIFO="$fifo" L2RUN_DIR="$dir"
export L2RUN_STOP="$stop_pat" L2RUN_GRACE="$grace"
i=1
while [ "$i" -le "$inputs" ]; do
	eval "export L2RUN_PAT_$i=\"\$pat_$i\" L2RUN_LINE_$i=\"\$line_$i\" L2RUN_KIND_$i=\"\$kind_$i\""
	i=$((i + 1))
done

# The host watches L1's console for silence: say that a boot begins, so
# the longest quiet stretch is one L2 run.
echo "NESTED: L2 $name start"
t0=$(ms_now)
{
	# The VMM leads a session of its own (setsid execs it in place, and so
	# does busybox timeout), so once it has exited whatever it left behind
	# (children still holding this pipe open) is killed as one group.
	sh -c 'echo $$ >"$1"; shift; exec timeout -s TERM -k 3 "$@"' sh "$dir/pid" \
		"$limit" setsid "$@" <"$fifo" 2>"$err"
	echo $? >"$dir/rc"
	kill -KILL -- "-$(cat "$dir/pid")" 2>/dev/null
} | awk '
	BEGIN { next_in = 1; n = ENVIRON["L2RUN_INPUTS"] + 0; d = ENVIRON["L2RUN_DIR"] }
	{
		print; fflush()
		if (!seen && index($0, ENVIRON["L2RUN_MARKER"])) {
			seen = 1
			getline up < "/proc/uptime"; close("/proc/uptime")
			print up > (d "/marker"); close(d "/marker")
		}
		while (next_in <= n && index($0, ENVIRON["L2RUN_PAT_" next_in])) {
			if (ENVIRON["L2RUN_KIND_" next_in] == "-x") {
				system(ENVIRON["L2RUN_LINE_" next_in])
			} else {
				print ENVIRON["L2RUN_LINE_" next_in] > ENVIRON["L2RUN_FIFO"]
				fflush(ENVIRON["L2RUN_FIFO"])
			}
			next_in++
		}
		if (!armed && ENVIRON["L2RUN_STOP"] != "" && index($0, ENVIRON["L2RUN_STOP"])) {
			armed = 1
			system("(sleep " ENVIRON["L2RUN_GRACE"] "; [ -f " d "/pid ] && : >" d "/stopped &&" \
				" kill -TERM -- -$(cat " d "/pid); sleep 3; [ -f " d "/pid ] &&" \
				" kill -KILL -- -$(cat " d "/pid)) </dev/null >/dev/null 2>&1 &")
		}
	}' >"$out" &
pipe=$!
exec 3>"$fifo" # lets the VMM's open of its stdin complete
wait "$pipe"
t1=$(ms_now)
exec 3>&-
rm -f "$dir/pid" # disarms a stopper still sleeping
rc=$(cat "$dir/rc" 2>/dev/null || echo lost)
marker_ms=-
[ -s "$dir/marker" ] && marker_ms=$(($(ms_of "$(cut -d' ' -f1 "$dir/marker")") - t0))
# busybox timeout leaves the VMM's own status: 143/137 after SIGTERM or
# SIGKILL, or whatever a VMM that handles SIGTERM chose (minivmm: 3).
elapsed=$((t1 - t0))
if [ -f "$dir/stopped" ]; then
	rc="stopped code=$rc"
elif [ "$elapsed" -ge $((limit * 1000 - 100)) ]; then
	rc="timeout code=$rc"
fi

tr -d '\r' <"$out" | awk -v p="NESTED: L2 $name | " '{ print p $0 }'
tr -d '\r' <"$err" | awk -v p="NESTED: L2 $name ! " '{ print p $0 }'
echo "NESTED: L2 $name end exit=$rc ms=$elapsed marker_ms=$marker_ms"
rm -rf "$dir"
[ "$marker_ms" != - ]
