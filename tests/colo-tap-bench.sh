#! /bin/sh
# colo-tap-bench.sh: how long a queue the SVM's tap needs ("make
# bench-colo-tap", as root).
#
# On a sandboxed switch (utilities/colo-sandbox.sh), frames go from a
# colo-proxy port, fed by colo-proxy-peer.py as QEMU's filter-mirror would,
# out of a tap that colo-tap-reader.py reads as QEMU reads the SVM's tap,
# stopping for PAUSE ms every 400 ms as QEMU does while the SVM is stopped
# for a checkpoint.  For each pause and each tap queue length it prints
# what was sent, what the reader got and what the tap dropped (its
# tx_dropped, the counter colo-rewrite/show names), then what a queued
# frame costs in kernel memory.  Figures are printed, never judged: see
# "Nothing lost on the way into the SVM" in the operator guide for what
# they mean.
#
# Environment: COLO_BENCH_RATE (frames per second, default 82000: 1 Gbit/s
# of 1514-byte frames), COLO_BENCH_SIZE (bytes, default 1514),
# COLO_BENCH_SECONDS (default 2), COLO_BENCH_PAUSES (ms, default
# "15 50 100"), COLO_BENCH_QUEUES (default "1000 2000 5000 10000").
# The reader is a Python program: on a machine busy with other work it
# may not keep up with the rate, and the line without pauses shows it.

set -e
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/utilities/colo-deps.sh"
colo_is_root || colo_fail "the benchmark creates taps: run it as root"
test -x "$top/ovs/vswitchd/ovs-vswitchd" \
    || colo_fail "build ovs-colo first (make)"

PATH=$top/ovs/utilities:$top/ovs/vswitchd:$top/ovs/ovsdb:$PATH
PYTHON3=${PYTHON3:-python3}
rate=${COLO_BENCH_RATE:-82000}
size=${COLO_BENCH_SIZE:-1514}
seconds=${COLO_BENCH_SECONDS:-2}
pauses=${COLO_BENCH_PAUSES:-15 50 100}
queues=${COLO_BENCH_QUEUES:-1000 2000 5000 10000}
peer="$PYTHON3 $top/tests/colo-proxy-peer.py"
reader="$PYTHON3 $top/tests/colo-tap-reader.py"
tap=colo-bench-tap

dir=$(mktemp -d /tmp/colo-tap-bench.XXXXXX)
. "$top/utilities/colo-sandbox.sh"
cleanup() {
    trap - EXIT INT TERM
    touch "$dir/hold"
    colo_sandbox_stop "$dir"
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

colo_sandbox_start "$dir" || colo_fail "could not start the sandbox"
ovs-vsctl add-br br0 -- set bridge br0 datapath_type=netdev \
    -- add-port br0 from-primary -- set interface from-primary \
       type=colo-proxy ofport_request=1 options:remote=punix:$dir/fp.sock
ovs-ofctl del-flows br0

# tap_start QUEUE [READER OPTIONS]: a tap of QUEUE frames on the bridge as
# port 2, read once $dir/go exists, kept until $dir/hold exists.
tap_start() {
    _q=$1
    shift
    rm -f "$dir/ready" "$dir/go" "$dir/hold" "$dir/reader.out"
    $reader $tap --ready "$dir/ready" --go "$dir/go" --hold "$dir/hold" \
        --timeout 120 "$@" > "$dir/reader.out" &
    reader_pid=$!
    while test ! -e "$dir/ready"; do sleep 0.05; done
    sysctl -qw net.ipv6.conf.$tap.disable_ipv6=1
    ip link set $tap txqueuelen "$_q" up
    ovs-vsctl add-port br0 $tap -- set interface $tap ofport_request=2
    ovs-ofctl add-flow br0 in_port=1,actions=output:2
}

tap_stop() {
    ovs-vsctl del-port br0 $tap
    ovs-ofctl del-flows br0
    touch "$dir/hold"
    wait $reader_pid || :
}

dropped() {
    cat /sys/class/net/$tap/statistics/tx_dropped
}

# The frames the colo-proxy port has received so far.
received() {
    ovs-ofctl dump-ports br0 1 | sed -n 's/.*rx pkts=\([0-9]*\),.*/\1/p'
}

count=$((rate * seconds))
gbits=$(awk -v r=$rate -v s=$size 'BEGIN { printf "%.2f", r * s * 8 / 1e9 }')
echo "colo-proxy port -> tap, $rate frames/s of $size bytes for $seconds s" \
     "($gbits Gbit/s); the reader stops for PAUSE ms every 400 ms"
printf '%8s %8s %8s %9s %9s %9s %7s\n' \
       pause-ms queue needed sent received dropped lost-%
# The first line, without pauses, shows whether this machine keeps up with
# the rate at all: if it loses frames, the other lines measure the
# machine, not the queue.
for pause in 0 $pauses; do
    needed=$((rate * pause / 1000))
    for q in $queues; do
        if test $pause = 0; then
            # One line is enough: the largest queue.
            test "$q" = "${queues##* }" || continue
        fi
        tap_start "$q" --pause-ms "$pause" --every-ms 400
        touch "$dir/go"
        sent=$($peer flood "unix:$dir/fp.sock" --count $count --size $size \
                   --rate $rate --timeout $((seconds * 10 + 10)) \
               | sed 's/^sent \([0-9]*\) .*/\1/')
        while test ! -s "$dir/reader.out"; do sleep 0.1; done
        got=$(sed 's/^received \([0-9]*\) .*/\1/' "$dir/reader.out")
        d=$(dropped)
        tap_stop
        lost=$(awk -v d=$d -v s=$sent 'BEGIN { printf "%.2f", 100 * d / s }')
        printf '%8s %8s %8s %9s %9s %9s %7s\n' "$pause" "$q" "$needed" \
               "$sent" "$got" "$d" "$lost"
    done
done

# What a full queue costs: the kernel's slab memory for 20000 frames
# waiting in a tap that nobody reads.
n=20000
tap_start $n --print-rate
slab() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }
s0=$(slab)
r0=$(received)
$peer flood "unix:$dir/fp.sock" --count $n --size $size > /dev/null
while test $(received) -lt $((r0 + n)); do sleep 0.1; done
sleep 0.5
s1=$(slab)
touch "$dir/go"
while test ! -s "$dir/reader.out"; do sleep 0.1; done
tap_stop
echo "kernel memory per queued $size-byte frame: $(( (s1 - s0) * 1024 / n ))" \
     "bytes (Slab, $n frames queued)"
echo "the reader then drained the queue at" \
     "$(sed 's/.*, \([0-9]*\) frames\/s$/\1/' "$dir/reader.out") frames/s:" \
     "after a pause it must read faster than the rate to catch up, and where" \
     "it cannot, frames are lost that a longer queue would not save"
