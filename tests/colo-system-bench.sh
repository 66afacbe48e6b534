#! /bin/sh
# colo-system-bench.sh: what colo_rewrite costs a bulk TCP transfer through
# a real datapath ("make bench-system", as root).
#
# On a sandboxed switch (utilities/colo-sandbox.sh), the namespaces of the
# system tests (utilities/colo-topology.sh) with real Linux TCP stacks:
# iperf3 runs as server in the SVM's namespace and as client in the
# client's, joined by the userspace bridge.  Two cases alternate, run by
# run (colo, plain, colo, plain, ...), so that both see the same machine:
#
#   colo   the flows of a zone after a failover (colo_topo_flows --failover
#          --no-capture): the client's TCP through
#          colo_rewrite(zone=5,primary) to the SVM, the SVM's through
#          colo_rewrite(zone=5,secondary) to the client.  The zone itself is
#          not failed over, so colo_rewrite learns each connection from its
#          handshake, as for an SVM beside a PVM, and rewrites every packet
#          after it both ways.  With one TCP stack at each end the learned
#          deltas are 0: the action does all its work (parse, look up,
#          note the SVM's acknowledgement, write the fields, update the
#          checksum), but the numbers come out unchanged, so the transfer
#          works.
#   plain  the same flows without colo_rewrite.
#
# For each run it prints iperf3's throughput (what the receiver got) and
# retransmits, the frames lost inside the switch (received on one bridge
# port and not sent on the other, see below), the packets colo_rewrite
# rewrote (colo-rewrite/show), and the CPU time of ovs-vswitchd during the
# run: utime + stime in /proc/PID/stat, so it includes the kernel's work
# in its system calls (reading and sending frames on the veths, and
# delivering them into the namespaces' TCP stacks when softirqs run on its
# way out of the kernel: most of it), and utime alone, the user space in
# which colo_rewrite runs.  The ports are veths (netdev-linux), not DPDK:
# there are no PMD threads, and the main thread polls the ports, runs the
# datapath and handles upcalls itself; the revalidators and the other
# threads make up "other".  The CPU figure is CPU seconds per Gbit
# transferred, which is also the number of cores kept busy per Gbit/s.
# At the end come the medians of each case, the ratios colo/plain and, as
# its last line:
#
#   colo-bench-system: gbps_colo=G gbps_plain=G ratio=R
#       cpu_per_gbps_colo=C cpu_per_gbps_plain=C
#
# (one line).  The goal is ratio >= 0.95.  Figures are printed, never
# judged: it fails only when it cannot run (not root, no build, iperf3
# failing) or when colo_rewrite rewrote nothing in a colo run.
#
# The userspace datapath reads a veth through an AF_PACKET socket whose
# receive buffer OVS leaves at net.core.rmem_default (208 kB on Debian,
# about a hundred full-size frames): whenever ovs-vswitchd's main thread
# falls behind, the kernel drops what does not fit, and TCP retransmits
# it.  An unpaced transfer is then limited by those losses (a fifth of
# the frames on the test machine) rather than by the switch's CPU, and
# its throughput varies by 10% from run to run.  So the benchmark raises
# net.core.rmem_default to COLO_BENCH_RMEM bytes (default 4194304), if it
# is lower, while the switch opens its ports, and puts it back at once:
# only the switch's sockets, and those that other programs open in the
# same second or two, get the larger buffer.  COLO_BENCH_RMEM=0 leaves
# the system's setting.
#
# Environment: COLO_BENCH_SECONDS (per run, default 5), COLO_BENCH_RUNS
# (runs of each case, default 3), COLO_BENCH_STREAMS (iperf3's parallel
# streams, default 1), COLO_BENCH_REVERSE=yes (the SVM sends, iperf3 -R;
# by default the client does), COLO_BENCH_OFFLOADS=off (also turn off
# TSO, GSO and GRO on both ends of the veths; colo_topo_create already
# turns off transmit checksum offload, and with it TSO, in the
# namespaces), COLO_BENCH_RMEM (see above).

set -e
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/utilities/colo-deps.sh"
colo_is_root \
    || colo_fail "the benchmark builds network namespaces: run it as root"
test -x "$top/ovs/vswitchd/ovs-vswitchd" \
    || colo_fail "build ovs-colo first (make)"
if ! command -v iperf3 >/dev/null 2>&1 \
        || ! command -v ethtool >/dev/null 2>&1; then
    colo_need_packages iperf3 ethtool
fi

PATH=$top/ovs/utilities:$top/ovs/vswitchd:$top/ovs/ovsdb:$PATH
PYTHON3=${PYTHON3:-python3}
seconds=${COLO_BENCH_SECONDS:-5}
runs=${COLO_BENCH_RUNS:-3}
streams=${COLO_BENCH_STREAMS:-1}
rmem=${COLO_BENCH_RMEM:-4194304}
for var in COLO_BENCH_SECONDS=$seconds COLO_BENCH_RUNS=$runs \
           COLO_BENCH_STREAMS=$streams; do
    case ${var#*=} in
        ''|*[!0-9]*|0) colo_fail "${var%%=*} must be a positive integer" ;;
    esac
done
case $rmem in
    *[!0-9]*) colo_fail "COLO_BENCH_RMEM must be a number of bytes" ;;
esac
case ${COLO_BENCH_REVERSE:-no} in
    yes) reverse=-R sender="the SVM" ;;
    *) reverse='' sender="the client" ;;
esac

dir=$(mktemp -d /tmp/colo-system-bench.XXXXXX)
export COLO_TOPO_DIR=$dir COLO_UTILITIES=$top/utilities PYTHON3
COLO_ZONE=5
. "$top/utilities/colo-sandbox.sh"
. "$top/utilities/colo-topology.sh"
# The system's net.core.rmem_default, put back by restore_rmem.
rmem_default=$(sysctl -n net.core.rmem_default)
rmem_changed=
restore_rmem() {
    if test -n "$rmem_changed"; then
        sysctl -q -w net.core.rmem_default=$rmem_default || :
        rmem_changed=
    fi
}
cleanup() {
    trap - EXIT INT TERM
    restore_rmem
    if test -n "$COLO_TOPO_PREFIX"; then
        colo_topo_cleanup >/dev/null 2>&1 || :
    fi
    colo_sandbox_stop "$dir"
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

colo_sandbox_start "$dir" || colo_fail "could not start the sandbox"
vswitchd=$(cat "$dir/ovs-vswitchd.pid")
colo_topo_init
if test "$rmem" -gt "$rmem_default"; then
    rmem_changed=yes
    sysctl -q -w net.core.rmem_default="$rmem" \
        || colo_fail "could not set net.core.rmem_default"
else
    rmem=$rmem_default
fi
colo_topo_create || colo_fail "could not build the namespaces"
restore_rmem
if test "${COLO_BENCH_OFFLOADS:-on}" = off; then
    for role in client svm; do
        colo_topo_exec $role ethtool -K eth0 tso off gso off gro off \
            || colo_fail "could not turn off the offloads in $role"
        ethtool -K "$(colo_topo_port $role)" tso off gso off gro off \
            || colo_fail "could not turn off the offloads of" \
                         "$(colo_topo_port $role)"
    done
fi

colo_topo_spawn svm iperf3-server iperf3 -s -B "$COLO_VM_IP"
i=0
until colo_topo_exec svm ss -Htln 'sport = :5201' | grep -q .; do
    i=$((i + 1))
    if test $i -gt 100 || ! colo_topo_running iperf3-server; then
        cat "$dir/iperf3-server.err" >&2
        colo_fail "iperf3 -s did not start in the SVM's namespace"
    fi
    sleep 0.1
done

# offloads IFACE [ROLE]: IFACE's offload settings, in ROLE's namespace if
# given, as ethtool -k tells them.
offloads() {
    if test -n "$2"; then
        colo_topo_exec "$2" ethtool -k "$1"
    else
        ethtool -k "$1"
    fi | awk -F': ' '
        /^tx-checksumming:/ { s = s " tx-csum=" $2 }
        /^tcp-segmentation-offload:/ { s = s " tso=" $2 }
        /^generic-segmentation-offload:/ { s = s " gso=" $2 }
        /^generic-receive-offload:/ { s = s " gro=" $2 }
        END { print s }'
}

# ticks FILE: the utime + stime of a /proc stat FILE, in clock ticks.
ticks() {
    sed 's/^.*) //' "$1" | awk '{ print $12 + $13 }'
}

# cpu_ticks: ovs-vswitchd's CPU time so far, in clock ticks: the whole
# process (threads that have exited included), the part of it spent in
# user space (utime), its main thread and its PMD threads.
cpu_ticks() {
    _pmd=0
    for _task in /proc/$vswitchd/task/*; do
        case $(cat "$_task/comm" 2>/dev/null) in
            pmd*) _pmd=$((_pmd + $(ticks "$_task/stat"))) ;;
        esac
    done
    echo "$(ticks /proc/$vswitchd/stat)" \
         "$(sed 's/^.*) //' /proc/$vswitchd/stat | awk '{ print $12 }')" \
         "$(ticks /proc/$vswitchd/task/$vswitchd/stat) $_pmd"
}

# rewritten: the packets colo_rewrite has rewritten in the zone so far.
rewritten() {
    _n=$(ovs-appctl colo-rewrite/show $COLO_ZONE 2>/dev/null \
         | sed -n 's/^  rewritten: //p')
    echo ${_n:-0}
}

# dp_packets: the packets the datapath's main thread has received since
# dpif-netdev/pmd-stats-clear.
dp_packets() {
    ovs-appctl dpif-netdev/pmd-stats-show | awk '
        /^main thread/ { main = 1; next }
        /^[^ ]/ { main = 0 }
        main && /packets received:/ { print $3 }'
}

# port_frames: the frames that the bridge ports of the client and the SVM
# have received from their namespaces and sent into them, all told: "RX
# TX".  Those received and not sent were lost inside the switch.
port_frames() {
    _rx=0 _tx=0
    for _role in client svm; do
        _stats=/sys/class/net/$(colo_topo_port $_role)/statistics
        _rx=$((_rx + $(cat "$_stats/rx_packets")))
        _tx=$((_tx + $(cat "$_stats/tx_packets")))
    done
    echo $_rx $_tx
}

hz=$(getconf CLK_TCK)
echo "iperf3 over TCP/IPv4, $streams stream(s), $sender sending, $seconds s" \
     "a run, $runs runs of each case, alternating"
echo "through bridge $COLO_BR (userspace datapath, ports on veths)" \
     "between namespaces $(colo_topo_ns client) and $(colo_topo_ns svm)"
echo "offloads (ethtool -k):"
for role in client svm; do
    echo "  $role eth0:$(offloads eth0 $role)"
    echo "  $(colo_topo_port $role) (bridge side):$(offloads \
                                                "$(colo_topo_port $role)")"
done
tso=$(ovs-vsctl get Open_vSwitch . other_config:userspace-tso-enable \
      2>/dev/null) || tso="not set (off)"
echo "  OVS other_config:userspace-tso-enable: $tso;" \
     "MTU $(cat /sys/class/net/"$(colo_topo_port client)"/mtu)"
if test "${COLO_BENCH_OFFLOADS:-on}" = off; then
    echo "  (TSO, GSO and GRO turned off here by COLO_BENCH_OFFLOADS=off)"
fi
if test "$rmem" = "$rmem_default"; then
    echo "receive buffer of the switch's AF_PACKET sockets:" \
         "net.core.rmem_default, $rmem bytes (the system's)"
else
    echo "receive buffer of the switch's AF_PACKET sockets: $rmem bytes" \
         "(net.core.rmem_default raised from $rmem_default while the" \
         "switch opened its ports, then put back; COLO_BENCH_RMEM=0" \
         "leaves it)"
fi
threads=$(cat /proc/$vswitchd/task/*/comm | sort | uniq -c \
          | awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $2 \
                   ($1 > 1 ? " x" $1 : "") }')
echo "ovs-vswitchd $vswitchd: threads $threads"
echo "CPU-s: ovs-vswitchd's CPU seconds during the run; user: those in" \
     "user space; main, pmd, other: by thread; CPU-s/Gb: per Gbit received"
echo "lost: frames received on one bridge port and not sent on the other;" \
     "us/pkt: CPU microseconds per packet through the datapath"
printf '%-3s %-5s %7s %8s %8s %6s %5s %5s %5s %5s %8s %6s %9s\n' \
       run case Gbit/s retrans lost CPU-s user main pmd other CPU-s/Gb \
       us/pkt rewritten

# run_case N CASE: the Nth run of CASE (colo or plain); prints its line
# and appends "GBPS CPU_PER_GBIT RETRANSMITS LOST USER_CPU_PER_GBIT" to
# $dir/CASE.
run_case() {
    _n=$1 _case=$2
    if test $_case = colo; then
        colo_topo_flows --failover --no-capture \
            || colo_fail "could not install the flows"
    else
        colo_topo_flows --failover --no-capture --no-rewrite \
            || colo_fail "could not install the flows"
    fi
    # No datapath flow of the other case may stay.
    ovs-appctl revalidator/purge >/dev/null
    ovs-appctl dpif-netdev/pmd-stats-clear >/dev/null
    _json=$dir/iperf3-$_n-$_case.json
    _rw0=$(rewritten)
    _frames0=$(port_frames)
    _cpu0=$(cpu_ticks)
    if colo_topo_exec client timeout $((seconds + 30)) \
            iperf3 -c "$COLO_VM_IP" -t "$seconds" -P "$streams" $reverse \
                   --connect-timeout 5000 -J > "$_json"; then
        _rc=0
    else
        _rc=$?
    fi
    _cpu1=$(cpu_ticks)
    _frames1=$(port_frames)
    _rw1=$(rewritten)
    _pkts=$(dp_packets)
    if ! _r=$($PYTHON3 - "$_json" <<'EOF'
import json
import sys

try:
    with open(sys.argv[1]) as f:
        r = json.load(f)
except (OSError, ValueError) as e:
    print("no JSON from iperf3 (%s)" % e)
    sys.exit(1)
if "error" in r:
    print(r["error"])
    sys.exit(1)
rx = r["end"]["sum_received"]
if not rx["bytes"]:
    print("it transferred nothing")
    sys.exit(1)
print("%.4f %d %s" % (rx["bits_per_second"] / 1e9, rx["bytes"],
                      r["end"]["sum_sent"].get("retransmits", "?")))
EOF
          ) || test $_rc != 0; then
        test $_rc = 0 || _r="$_r (exit status $_rc)"
        colo_fail "iperf3 from the client to $COLO_VM_IP failed: $_r"
    fi
    _rw=$((_rw1 - _rw0))
    if test $_case = colo && test $_rw = 0; then
        colo_fail "colo_rewrite rewrote nothing in run $_n of case colo"
    elif test $_case = plain && test $_rw != 0; then
        colo_fail "colo_rewrite rewrote $_rw packets in the plain case"
    fi
    set -- $_cpu0 $_cpu1
    _cpu="$(($5 - $1)) $(($6 - $2)) $(($7 - $3)) $(($8 - $4))"
    set -- $_frames0 $_frames1
    _lost=$((($3 - $1) - ($4 - $2)))
    echo "$_n $_case $_r $_cpu $_lost $_rw ${_pkts:-0}" | awk \
        -v hz=$hz -v out="$dir/$_case" '{
        n = $1; c = $2; g = $3; b = $4; r = $5
        t = $6 / hz; u = $7 / hz; m = $8 / hz; p = $9 / hz
        lost = $10; rw = $11; pk = $12
        gbit = b * 8 / 1e9
        # The main thread is read after the process: it may be a tick
        # ahead.
        o = t - m - p < 0 ? 0 : t - m - p
        printf "%-3s %-5s %7.3f %8s %8s %6.2f %5.2f %5.2f %5.2f %5.2f" \
               " %8.3f %6s %9s\n", n, c, g, r, lost, t, u, m, p, o,
               t / gbit, pk ? sprintf("%.2f", t / pk * 1e6) : "?", rw
        printf "%s %.4f %s %s %.4f\n", g, t / gbit, r, lost,
               u / gbit >> out
    }'
}

i=1
while test $i -le "$runs"; do
    run_case $i colo
    run_case $i plain
    i=$((i + 1))
done

# median FIELD CASE: the median of field FIELD over the runs of CASE.
median() {
    awk -v f=$1 '{ print $f }' "$dir/$2" | sort -g | awk '
        { v[NR] = $1 }
        END {
            h = int((NR + 1) / 2)
            print NR % 2 ? v[h] : (v[h] + v[h + 1]) / 2
        }'
}

g_colo=$(median 1 colo)
g_plain=$(median 1 plain)
c_colo=$(median 2 colo)
c_plain=$(median 2 plain)
awk -v gc=$g_colo -v gp=$g_plain -v cc=$c_colo -v cp=$c_plain \
    -v rmem=$rmem \
    -v rc="$(median 3 colo)" -v rp="$(median 3 plain)" \
    -v lc="$(median 4 colo)" -v lp="$(median 4 plain)" \
    -v uc="$(median 5 colo)" -v up="$(median 5 plain)" 'BEGIN {
    printf "medians: colo %.3f Gbit/s, %.3f CPU-s/Gbit (user %.3f)," \
           " %.0f retransmits, %.0f lost\n", gc, cc, uc, rc, lc
    printf "         plain %.3f Gbit/s, %.3f CPU-s/Gbit (user %.3f)," \
           " %.0f retransmits, %.0f lost\n", gp, cp, up, rp, lp
    if (lc + lp > 0) {
        printf "the switch lost frames: the kernel drops them at" \
               " ovs-vswitchd'"'"'s AF_PACKET sockets when their" \
               " buffers (%s bytes) are full, as when its main thread" \
               " falls behind, and TCP is then limited by those losses" \
               " (a larger COLO_BENCH_RMEM may help)\n", rmem
    }
    printf "throughput colo/plain: %.3f (goal >= 0.95); CPU per Gbit" \
           " colo/plain: %.3f, user space only: %.3f\n", gc / gp, cc / cp,
           uc / up
    printf "colo-bench-system: gbps_colo=%.3f gbps_plain=%.3f ratio=%.3f" \
           " cpu_per_gbps_colo=%.3f cpu_per_gbps_plain=%.3f\n",
           gc, gp, gc / gp, cc, cp
}'
