#! /bin/sh
# colo-qemu-probe.sh: the experiments behind tests/colo-qemu-facts.md.
#
#     sh tests/colo-qemu-probe.sh [-d DIR] [EXPERIMENT]...
#
# Runs each EXPERIMENT (default: all, in the order below) against a fresh
# QEMU (colo-qemu.sh: Debian's qemu-system-x86_64, TCG, a busybox guest)
# in a network namespace of its own, and prints what it found, one
# "probe NAME: ..." line per fact.  Needs root; takes about 5 minutes
# (every experiment boots a guest, about 12 s here).  Files go to DIR
# (default: a new folder under /tmp), which is kept for inspection.  Runs
# at most one QEMU at a time and stops it before the next.
#
# The guest's NIC is attached to "-netdev tap" (a persistent tap in the
# namespace, 10.1.1.1/24 on the host's side, the guest 10.1.1.2/24) with
# these filters on netdev hn0, in this order:
#
#     m0  filter-mirror      queue=rx  outdev=mrx   tcp 127.0.0.1:9003
#     r0  filter-redirector  queue=tx  indev=red0   tcp 127.0.0.1:9005
#     m1  filter-mirror      queue=tx  outdev=mtx   tcp 127.0.0.1:9004
#
# (QEMU listens, server=on,wait=off, unless an experiment says otherwise),
# so what the peer injects through r0 passes m1 on its way to the guest.
#
# Experiments:
#
#   virtio        virtio-net-pci, tap with vnet headers, vnet_hdr_support=on
#   virtio-nohdr  the same, vnet_hdr_support=off (the header stays)
#   virtio-nooffload  virtio-net-pci,csum=off,guest_csum=off: no offloads
#                 either way, but still the 12-byte header
#   virtio-legacy virtio-net-pci,disable-modern=on,mrg_rxbuf=off: the
#                 10-byte header of legacy virtio without mergeable buffers
#   virtio-tapoff virtio-net-pci, -netdev tap,vnet_hdr=off
#   e1000         e1000, vnet_hdr_support=on
#   e1000-nohdr   e1000, vnet_hdr_support=off
#       each: what the mirrors carry during real TCP both ways (length
#       fields, virtio-net header, largest frame), a round trip of frames
#       60..69632 bytes through r0 and m1, and an ARP request injected
#       through r0 that the guest answers (seen on m0).
#   reconnect     the peer of r0 and m1 closes and comes back
#   recover       bringing r0 back over QMP
#   oversize      frames of 69632 and 69633 bytes (with the header)
#   zero          a frame of length 0, then one of 5 bytes
#   client        QEMU connects (reconnect=1) to the peer, which listens
#   slowreader    a peer of m1 that does not read
#   compare       colo-compare alone: the same TCP segments on primary_in
#                 and secondary_in, with headers of different lengths

COLO_QEMU_TESTS=${COLO_QEMU_TESTS:-$(cd "$(dirname "$0")" && pwd)}
. "$COLO_QEMU_TESTS/colo-qemu.sh"

PROBE_DIR=
if test "$1" = -d; then
    PROBE_DIR=$2
    shift 2
fi
PROBE_DIR=${PROBE_DIR:-$(mktemp -d /tmp/colo-qemu-probe.XXXXXX)}
mkdir -p "$PROBE_DIR" || exit 1
COLO_QEMU_DIR=$PROBE_DIR
PEER="${PYTHON3:-python3} $COLO_QEMU_TESTS/colo-qemu-peer.py"
GUEST_MAC=52:54:00:00:00:02

say () { echo "probe $PROBE_NAME: $*"; }

if ! why=$(colo_qemu_available); then
    echo "colo-qemu-probe: cannot run: $why" >&2
    exit 77
fi
colo_qemu_init || exit 1
trap 'colo_qemu_cleanup' EXIT
trap 'exit 1' INT TERM
colo_qemu_initramfs "$PROBE_DIR" || exit 1
echo "colo-qemu-probe: $(qemu-system-x86_64 --version | head -1)," \
     "kernel $COLO_QEMU_KVER, files in $PROBE_DIR"

# probe_boot NIC VNET_HDR_SUPPORT [TAP-OPTIONS]
#
# Starts QEMU "vm" with the filters above; $PROBE_MRX, $PROBE_MTX and
# $PROBE_RED replace the chardevs' options.  Says how long the guest took
# to be ready.
probe_boot () {
    _nic=$1 _vhs=vnet_hdr_support=$2 _tapopt=$3
    colo_qemu_cleanup
    colo_qemu_netns_create || return 1
    colo_qemu_tap_create tap0 10.1.1.1/24 || return 1
    TAP=$(colo_qemu_tap_name tap0)
    COLO_QEMU_APPEND="colo.neigh=10.1.1.1,$(colo_qemu_exec \
        cat /sys/class/net/$TAP/address)"
    _srv=host=127.0.0.1,server=on,wait=off
    _t0=$(date +%s.%N)
    colo_qemu_start vm \
        -netdev tap,id=hn0,ifname=$TAP,script=no,downscript=no$_tapopt \
        -device $_nic,netdev=hn0,mac=$GUEST_MAC,romfile= \
        -chardev ${PROBE_MRX:-socket,id=mrx,port=9003,$_srv} \
        -chardev ${PROBE_MTX:-socket,id=mtx,port=9004,$_srv} \
        -chardev ${PROBE_RED:-socket,id=red0,port=9005,$_srv} \
        -object filter-mirror,id=m0,netdev=hn0,queue=rx,outdev=mrx,$_vhs \
        -object filter-redirector,id=r0,netdev=hn0,queue=tx,indev=red0,$_vhs \
        -object filter-mirror,id=m1,netdev=hn0,queue=tx,outdev=mtx,$_vhs \
        || return 1
    colo_qemu_wait_ready vm 180 || return 1
    say "boot: guest ready after $(${PYTHON3:-python3} -c \
        "print('%.1f' % ($(date +%s.%N) - $_t0))") s ($_nic, TCG)"
    colo_qemu_exec ip neigh replace 10.1.1.2 lladdr $GUEST_MAC dev $TAP \
        nud permanent
}

# probe_guest_ok: the guest's TCP answers through the tap.
probe_guest_ok () {
    colo_qemu_exec $PEER sha256 tcp:10.1.1.2:5000 --bytes 1000 --timeout 10 \
        >/dev/null 2>&1
}

# probe_readd [true|false]: replaces r0 and its chardev over QMP.
probe_readd () {
    colo_qemu_qmp vm object-del '{"id": "r0"}' >/dev/null
    colo_qemu_qmp vm chardev-remove '{"id": "red0"}' >/dev/null
    colo_qemu_qmp vm chardev-add '{"id": "red0", "backend": {"type":
        "socket", "data": {"addr": {"type": "inet", "data": {"host":
        "127.0.0.1", "port": "9005"}}, "server": true, "wait": false}}}' \
        >/dev/null &&
    colo_qemu_qmp vm object-add '{"qom-type": "filter-redirector", "id":
        "r0", "netdev": "hn0", "queue": "tx", "indev": "red0",
        "vnet_hdr_support": '${1:-true}', "position": "id=m1",
        "insert": "before"}' >/dev/null
}

# probe_roundtrip OUTFILE ARGS...: a round trip through r0 and m1.
probe_roundtrip () {
    _out=$1
    shift
    colo_qemu_exec timeout 200 $PEER roundtrip \
        --send tcp:127.0.0.1:9005 --recv tcp:127.0.0.1:9004 "$@" \
        > "$PROBE_DIR/$_out" 2>&1
    _rc=$?
    tail -n 3 "$PROBE_DIR/$_out" | sed "s/^/probe $PROBE_NAME: /"
    return $_rc
}

# probe_traffic VNET-FLAG: dumps m0 and m1 while the host sends 100000
# bytes to the guest and the guest 100000 bytes to the host, then
# summarizes.
probe_traffic () {
    colo_qemu_exec $PEER dump tcp:127.0.0.1:9003 $1 --duration 30 \
        > "$PROBE_DIR/$PROBE_NAME-m0.txt" 2>&1 &
    _d0=$!
    colo_qemu_exec $PEER dump tcp:127.0.0.1:9004 $1 --duration 30 \
        > "$PROBE_DIR/$PROBE_NAME-m1.txt" 2>&1 &
    _d1=$!
    sleep 1
    colo_qemu_exec $PEER sha256 tcp:10.1.1.2:5000 --bytes 100000 \
        --timeout 20 | sed "s/^/probe $PROBE_NAME: /"
    colo_qemu_exec $PEER generate tcp:10.1.1.2:5001 --bytes 100000 \
        --timeout 20 | sed "s/^/probe $PROBE_NAME: /"
    sleep 1
    kill $_d0 $_d1 2>/dev/null
    wait $_d0 $_d1 2>/dev/null
    for _m in m0 m1; do
        _f=$PROBE_DIR/$PROBE_NAME-$_m.txt
        case $_m in
            m0) _what="m0 (queue=rx, frames from the guest)" ;;
            m1) _what="m1 (queue=tx, frames to the guest)" ;;
        esac
        say "$_what: $(grep -c '^frame' "$_f") frames;" \
            "LEN: $(grep -o '^frame [0-9]*: len=[0-9]*' "$_f" | cut -d= -f2 \
                    | sort -n | sed -n '1p;$p' | tr '\n' ' ')(min max);" \
            "VLEN: $(grep -o 'vnet_hdr_len=[0-9]*' "$_f" | cut -d= -f2 \
                     | sort -n | uniq -c | tr -s ' ' | tr '\n' ';')" \
            "gso: $(grep -o 'gso=[a-z0-9]*' "$_f" | cut -d= -f2 \
                    | sort | uniq -c | tr -s ' ' | tr '\n' ';')" \
            "NEEDS_CSUM: $(grep -c NEEDS_CSUM "$_f")"
        grep -m 1 'gso=tcp' "$_f" | sed "s/^/probe $PROBE_NAME:   e.g. /"
        grep -m 1 'tcp .*\[S\]\|tcp .*\[SA\]' "$_f" \
            | sed "s/^/probe $PROBE_NAME:   e.g. /"
    done
}

# probe_framing NIC VH TAPOPT HDRLEN
probe_framing () {
    _vflag=
    test "$2" = on && _vflag=--vnet-hdr
    probe_boot "$1" "$2" "$3" || return 1
    probe_traffic "$_vflag"
    probe_readd "$(test "$2" = on && echo true || echo false)"
    probe_roundtrip $PROBE_NAME-rt1.txt $_vflag --hdr-len $4 --sync \
        --sizes 60-1514 && say "round trip 60..1514: OK"
    probe_readd "$(test "$2" = on && echo true || echo false)"
    _max=$((69632 - $4))
    probe_roundtrip $PROBE_NAME-rt2.txt $_vflag --hdr-len $4 --sync \
        --sizes 1515-9100/3,9216,16000,32768,65535,65536,$((_max - 5))-$_max \
        && say "round trip 1515..$_max (+$4 header): OK"
    probe_readd "$(test "$2" = on && echo true || echo false)"
    _arp=$PROBE_DIR/$PROBE_NAME-arp.txt
    if colo_qemu_exec timeout 30 $PEER arp --send tcp:127.0.0.1:9005 \
           --recv tcp:127.0.0.1:9003 $_vflag --hdr-len $4 \
           --recv-hdr-len $4 --target 10.1.1.2 --timeout 10 \
           > "$_arp" 2>&1; then
        say "injected ARP request answered: $(cat "$_arp")"
    else
        say "injected ARP request NOT answered: $(cat "$_arp")"
    fi
    if probe_guest_ok; then
        say "guest still answers TCP"
    else
        say "guest no longer answers TCP"
    fi
}

probe_virtio () { probe_framing virtio-net-pci on "" 12; }
probe_virtio_nohdr () { probe_framing virtio-net-pci off "" 12; }
probe_virtio_nooffload () {
    probe_framing virtio-net-pci,csum=off,guest_csum=off on "" 12
}
probe_virtio_legacy () {
    probe_framing virtio-net-pci,disable-modern=on,mrg_rxbuf=off on "" 10
}
probe_virtio_tapoff () { probe_framing virtio-net-pci on ",vnet_hdr=off" 0; }
probe_e1000 () { probe_framing e1000 on "" 0; }
probe_e1000_nohdr () { probe_framing e1000 off "" 0; }

probe_reconnect () {
    probe_boot virtio-net-pci on || return 1
    probe_roundtrip $PROBE_NAME-1.txt --vnet-hdr --hdr-len 12 --sizes 60-99 \
        && say "first peer: OK"
    say "after the first peer closed: $(colo_qemu_qmp vm query-chardev \
        | tr '}' '\n' | grep -o '"filename": "[^"]*9005[^"]*"')"
    probe_roundtrip $PROBE_NAME-2.txt --vnet-hdr --hdr-len 12 --sizes 60-99 \
        --timeout 5 || say "second peer: r0 does not read its new connection"
    say "after the second peer closed: $(colo_qemu_qmp vm query-chardev \
        | tr '}' '\n' | grep -o '"filename": "[^"]*900[45][^"]*"' \
        | tr '\n' ' ')"
    # m1 after its peer went: the frames it writes before it notices.
    probe_readd true
    probe_roundtrip $PROBE_NAME-3.txt --vnet-hdr --hdr-len 12 --sizes 60-79 \
        --gap 0.05 --timeout 5 --settle 0.5
    say "new peer of m1 (old one gone), no sync: $(sed -n \
        's/.*, \([0-9]*\) came back byte-exact.*/\1/p' \
        "$PROBE_DIR/$PROBE_NAME-3.txt") of 20 came back"
    probe_readd true
    probe_roundtrip $PROBE_NAME-4.txt --vnet-hdr --hdr-len 12 --sizes 60-79 \
        --gap 0.05 --timeout 5 --settle 0.5 --sync -v
}

probe_recover () {
    probe_boot virtio-net-pci on || return 1
    probe_roundtrip $PROBE_NAME-1.txt --vnet-hdr --hdr-len 12 --sizes 60-99
    colo_qemu_qmp vm object-del '{"id": "r0"}' >/dev/null
    colo_qemu_qmp vm object-add '{"qom-type": "filter-redirector", "id":
        "r0", "netdev": "hn0", "queue": "tx", "indev": "red0",
        "vnet_hdr_support": true, "position": "id=m1",
        "insert": "before"}' >/dev/null
    probe_roundtrip $PROBE_NAME-2.txt --vnet-hdr --hdr-len 12 --sizes 60-99 \
        --sync --timeout 5 \
        && say "object-del + object-add r0 (same chardev): OK" \
        || say "object-del + object-add r0 (same chardev): r0 still dead"
    probe_readd true
    probe_roundtrip $PROBE_NAME-3.txt --vnet-hdr --hdr-len 12 --sizes 60-99 \
        --sync --timeout 5 \
        && say "object-del r0, chardev-remove, chardev-add, object-add: OK"
}

probe_oversize () {
    probe_boot virtio-net-pci on || return 1
    probe_roundtrip $PROBE_NAME-1.txt --vnet-hdr --hdr-len 12 \
        --sizes 69620,60,69621,61 --sync --timeout 5 --linger 1
    say "QEMU said: $(grep -i oversized "$COLO_QEMU_DIR/vm.err")"
    say "after it: $(colo_qemu_qmp vm query-chardev | tr '}' '\n' \
        | grep -o '"filename": "[^"]*9005[^"]*"')"
    probe_readd true
    probe_roundtrip $PROBE_NAME-2.txt --vnet-hdr --hdr-len 12 \
        --sizes 60 --sync --timeout 5 --raw ffffffff0000000c
    say "LEN 0xffffffff: $(grep -o '[0-9]* came back' \
        "$PROBE_DIR/$PROBE_NAME-2.txt") of 1 later frame (QEMU waits for" \
        "69632 bytes, then gives up on the connection)"
    probe_guest_ok && say "guest still answers TCP"
}

probe_zero () {
    probe_boot virtio-net-pci on || return 1
    probe_guest_ok && say "guest answers TCP"
    probe_roundtrip $PROBE_NAME-1.txt --vnet-hdr --hdr-len 12 --sizes 60-69 \
        --sync --raw 000000000000000c
    if probe_guest_ok; then
        say "after a LEN 0 record: guest still answers TCP"
    else
        say "after a LEN 0 record: guest NO LONGER answers TCP"
    fi
    probe_boot virtio-net-pci on || return 1
    probe_roundtrip $PROBE_NAME-2.txt --vnet-hdr --hdr-len 12 --sizes 60-69 \
        --sync --raw 0000000500000000aabbccddee
    if probe_guest_ok; then
        say "after a 5-byte record: guest still answers TCP"
    else
        say "after a 5-byte record: guest NO LONGER answers TCP"
    fi
    probe_boot e1000 on || return 1
    probe_roundtrip $PROBE_NAME-3.txt --vnet-hdr --sizes 60-69 \
        --sync --raw 0000000000000000 --raw 0000000500000000aabbccddee
    if probe_guest_ok; then
        say "e1000, after LEN 0 and 5-byte records: guest still answers TCP"
    else
        say "e1000, after LEN 0 and 5-byte records: guest NO LONGER answers"
    fi
}

probe_client () {
    PROBE_MTX=socket,id=mtx,host=127.0.0.1,port=9004,reconnect=1 \
    PROBE_RED=socket,id=red0,host=127.0.0.1,port=9005,reconnect=1 \
        probe_boot virtio-net-pci on || return 1
    # QEMU tries to connect every second; the peer listens.
    colo_qemu_exec timeout 60 $PEER roundtrip \
        --send tcp-listen:127.0.0.1:9005 --recv tcp-listen:127.0.0.1:9004 \
        --vnet-hdr --hdr-len 12 --sizes 60-99 --sync --timeout 10 \
        > "$PROBE_DIR/$PROBE_NAME-1.txt" 2>&1
    say "first peer: $(tail -n 2 "$PROBE_DIR/$PROBE_NAME-1.txt" \
        | tr '\n' ' ')"
    sleep 2
    say "chardevs after it closed: $(colo_qemu_qmp vm query-chardev \
        | tr '}' '\n' | grep -o '"filename": "[^"]*900[45][^"]*"' \
        | tr '\n' ' ')"
    # r0: does it read from the connection QEMU makes again?  The guest's
    # answer to an injected ARP request shows on m0 (QEMU listens there).
    colo_qemu_exec timeout 30 $PEER arp --send tcp-listen:127.0.0.1:9005 \
        --recv tcp:127.0.0.1:9003 --vnet-hdr --hdr-len 12 \
        --target 10.1.1.2 --timeout 6 > "$PROBE_DIR/$PROBE_NAME-arp.txt" 2>&1
    say "r0 after QEMU reconnected: $(cat "$PROBE_DIR/$PROBE_NAME-arp.txt")"
    # m1: it notices that its peer went only when a write fails; then it
    # connects again (reconnect=1).  Traffic to the guest makes it write.
    colo_qemu_exec timeout 40 $PEER dump tcp-listen:127.0.0.1:9004 \
        --vnet-hdr --duration 5 --connect-timeout 20 \
        > "$PROBE_DIR/$PROBE_NAME-dump.txt" 2>&1 &
    _d=$!
    for _i in 1 2 3 4 5 6; do
        probe_guest_ok
        sleep 1
    done
    wait $_d
    say "m1, peer listening again, traffic to the guest: $(tail -n 1 \
        "$PROBE_DIR/$PROBE_NAME-dump.txt") after QEMU reconnected"
    say "QEMU's stderr: $(sort "$COLO_QEMU_DIR/vm.err" | uniq -c \
        | tr -s ' ' | tr '\n' ';')"
}

probe_slowreader () {
    probe_boot virtio-net-pci on || return 1
    # A peer of m1 that connects and never reads.
    colo_qemu_exec ${PYTHON3:-python3} -c '
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", 9004))
time.sleep(60)' &
    _sleeper=$!
    sleep 1
    # 24 MB toward the guest through r0, more than the sockets buffer.
    colo_qemu_exec timeout 60 $PEER send tcp:127.0.0.1:9005 --vnet-hdr \
        --hdr-len 12 --sizes 60000-60399 --linger 0 \
        > "$PROBE_DIR/$PROBE_NAME-send.txt" 2>&1 &
    _sender=$!
    sleep 5
    if colo_qemu_exec timeout 5 $PEER qmp --timeout 4 \
           "$COLO_QEMU_DIR/vm.qmp" query-status >/dev/null 2>&1; then
        say "m1's peer not reading: QMP still answers"
    else
        say "m1's peer not reading: QMP does NOT answer within 4 s"
    fi
    if probe_guest_ok; then
        say "m1's peer not reading: guest still answers TCP"
    else
        say "m1's peer not reading: guest does NOT answer TCP"
    fi
    if kill -0 $_sender 2>/dev/null; then
        say "m1's peer not reading: the sender to r0 is blocked"
    else
        say "m1's peer not reading: the sender to r0 got everything out"
    fi
    kill $_sleeper $_sender 2>/dev/null
    wait $_sleeper $_sender 2>/dev/null
    _i=0
    while test $_i -lt 30; do
        if colo_qemu_exec timeout 2 $PEER qmp --timeout 1 \
               "$COLO_QEMU_DIR/vm.qmp" query-status >/dev/null 2>&1; then
            break
        fi
        _i=$((_i + 1))
    done
    if test $_i -lt 30; then
        say "after the peer went away: QMP answers again" \
            "(after ~$((_i * 2)) s)"
    else
        say "after the peer went away: QMP still does not answer after 60 s"
    fi
    if probe_guest_ok; then
        say "after the peer went away: guest answers TCP again"
    else
        say "after the peer went away: guest still does not answer TCP"
    fi
}

# probe_compare_start on|off: a fresh QEMU "cmp" with only a colo-compare
# (its guest is not waited for): primary_in, secondary_in and outdev on
# TCP ports 9011, 9012 and 9013, QEMU listening.
probe_compare_start () {
    colo_qemu_stop cmp
    _srv=host=127.0.0.1,server=on,wait=off
    _cc=primary_in=cpri,secondary_in=csec,outdev=cout,iothread=io1
    colo_qemu_start cmp -object iothread,id=io1 \
        -chardev socket,id=cpri,port=9011,$_srv \
        -chardev socket,id=csec,port=9012,$_srv \
        -chardev socket,id=cout,port=9013,$_srv \
        -object colo-compare,id=comp0,$_cc,vnet_hdr_support=$1
}

# probe_compare_run on|off [compare ARGS]...: a fresh QEMU with only a
# colo-compare (its guest is not waited for), fed by "colo-qemu-peer.py
# compare".
probe_compare_run () {
    _vh=$1
    shift
    colo_qemu_stop cmp
    probe_compare_start $_vh || return 1
    _f=
    test $_vh = on && _f=--vnet-hdr
    say "vnet_hdr_support=$_vh $*: $(colo_qemu_exec timeout 60 $PEER \
        compare --primary tcp:127.0.0.1:9011 --secondary tcp:127.0.0.1:9012 \
        --out tcp:127.0.0.1:9013 $_f "$@" 2>&1 | tr '\n' ' ')"
    colo_qemu_stop cmp
}

probe_compare () {
    colo_qemu_cleanup
    colo_qemu_netns_create || return 1
    probe_compare_run on --primary-hdr-len 12 --secondary-hdr-len 12
    probe_compare_run on --primary-hdr-len 12 --secondary-hdr-len 0
    probe_compare_run on --primary-hdr-len 0 --secondary-hdr-len 12
    probe_compare_run off
    probe_compare_run on --primary-hdr-len 12 --secondary-hdr-len 12 \
        --secondary-vlen 99
    probe_compare_run on --primary-hdr-len 12 --secondary-hdr-len 12 \
        --sizes 1,100,1000,1460,8000,30000
    probe_compare_run on --primary-hdr-len 12 --secondary-hdr-len 12 \
        --sizes 1460,8000,30000 --secondary-split 1448
    probe_compare_run on --primary-hdr-len 12 --secondary-hdr-len 12 \
        --differ 2 --timeout 8
    # Peers that go and come back, on one colo-compare.
    colo_qemu_stop cmp
    probe_compare_start on || return 1
    for _i in 0 1 2; do
        say "same colo-compare, peers connection $_i: $(colo_qemu_exec \
            timeout 60 $PEER compare --primary tcp:127.0.0.1:9011 \
            --secondary tcp:127.0.0.1:9012 --out tcp:127.0.0.1:9013 \
            --vnet-hdr --primary-hdr-len 12 --secondary-hdr-len 12 \
            --port-offset $_i --sizes 1-20 --allow-lost-head 19 2>&1 \
            | tr '\n' ' ')"
    done
    say "QEMU's stderr: $(sort "$COLO_QEMU_DIR/cmp.err" | uniq -c \
        | tr -s ' ' | tr '\n' ';')"
    # A peer of secondary_in that leaves half a record behind: LEN 100,
    # VLEN 12, 50 of the 100 bytes.
    _c="--primary tcp:127.0.0.1:9011 --secondary tcp:127.0.0.1:9012
        --out tcp:127.0.0.1:9013 --vnet-hdr --primary-hdr-len 12
        --secondary-hdr-len 12 --sizes 1-20 --allow-lost-head 19"
    _half=000000640000000c$(printf '%0100d' 0)
    for _pad in no yes; do
        colo_qemu_stop cmp
        probe_compare_start on || return 1
        colo_qemu_exec timeout 30 $PEER compare $_c --secondary-only \
            --secondary-raw $_half >/dev/null 2>&1
        if test $_pad = yes; then
            set -- --secondary-raw $(printf '%0100d' 0)
            _what="new peer of secondary_in sends the 50 missing bytes first"
        else
            set --
            _what="new peer of secondary_in"
        fi
        say "after half a record on secondary_in: $_what: $(colo_qemu_exec \
            timeout 30 $PEER compare $_c --port-offset 1 --timeout 4 "$@" \
            2>&1 | tr '\n' ' ')"
        colo_qemu_stop cmp
    done
}

ALL="virtio virtio-nohdr virtio-nooffload virtio-legacy virtio-tapoff
     e1000 e1000-nohdr reconnect recover
     oversize zero client slowreader compare"
for PROBE_NAME in ${*:-$ALL}; do
    case " $(echo $ALL) " in
        *" $PROBE_NAME "*) ;;
        *) echo "colo-qemu-probe: unknown experiment $PROBE_NAME" >&2
           exit 1 ;;
    esac
    echo "colo-qemu-probe: == $PROBE_NAME"
    probe_$(echo $PROBE_NAME | tr - _) || say "FAILED to run"
    colo_qemu_stop vm
    colo_qemu_stop cmp
done
colo_qemu_cleanup
