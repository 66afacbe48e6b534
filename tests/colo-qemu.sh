# colo-qemu.sh: a tiny real guest under QEMU, for tests of QEMU's COLO
# network filters (filter-mirror, filter-redirector) and their sockets.
#
# Sourced ("." in POSIX sh).  The guest is Debian's own kernel with an
# initramfs built at test time from busybox (static) and the kernel's own
# NIC modules (virtio_net, e1000); it runs under TCG, so no KVM is needed.
# Its /init configures eth0 from the kernel command line, prints
#
#     colo-guest: ready if=eth0 ip=IP/LEN mac=MAC driver=DRIVER
#
# on the serial console and serves, on every address:
#
#     TCP 7     echo: sends back what it receives
#     TCP 5000  sha256: reads until the client shuts down its sending side,
#               then replies with the 64 hex digits of the SHA-256 of what
#               it read and a newline, and closes
#     TCP 5001  generator: reads a decimal count N and a newline, replies
#               with the first N bytes of "colo-guest\n" repeated, closes
#
# Kernel command line parameters read by /init (COLO_QEMU_APPEND):
#
#     colo.ip=IP/LEN      eth0's IPv4 address (default 10.1.1.2/24)
#     colo.mac=MAC        eth0's MAC (default: the NIC's, from QEMU)
#     colo.mtu=N          eth0's MTU (default: the driver's)
#     colo.neigh=IP,MAC   a permanent neighbour entry (no ARP needed)
#     colo.ipv6=on        keep IPv6 (default off: no router or neighbour
#                         solicitations, no MLD, fewer frames to ignore)
#
# Usage:
#
#     . colo-qemu.sh
#     colo_qemu_available || skip          # prints why not
#     colo_qemu_init [PREFIX]              # names, COLO_QEMU_DIR
#     trap colo_qemu_cleanup EXIT          # or the test's on_exit
#     colo_qemu_initramfs "$COLO_QEMU_DIR"
#     colo_qemu_netns_create               # optional: QEMU runs in it
#     colo_qemu_tap_create tap0 10.1.1.1/24    # optional, in the netns
#     tap=$(colo_qemu_tap_name tap0)
#     colo_qemu_start vm \
#         -netdev tap,id=hn0,ifname=$tap,script=no,downscript=no \
#         -device virtio-net-pci,netdev=hn0,mac=52:54:00:00:00:02,romfile= \
#         -chardev socket,id=m0,host=127.0.0.1,port=9003,server=on,wait=off \
#         -object filter-mirror,id=fm0,netdev=hn0,queue=tx,outdev=m0
#     colo_qemu_wait_ready vm 120
#     colo_qemu_qmp vm query-status
#     colo_qemu_stop vm
#
# Every QEMU runs with -accel tcg -nodefaults, its serial console in
# $COLO_QEMU_DIR/NAME.serial, its QMP socket at $COLO_QEMU_DIR/NAME.qmp
# (server=on,wait=off), its stdout and stderr in NAME.out and NAME.err
# (filter-mirror reports lost frames there) and its process ID in
# NAME.pid.
#
# Needs root (namespaces, taps, the kernel image, which Debian makes
# readable by root only), qemu-system-x86_64, cpio, gzip, modinfo (kmod),
# busybox (static: it runs in the guest) and, for QMP, Python 3 ($PYTHON3,
# else python3) with colo-qemu-peer.py next to this file (or in
# $COLO_QEMU_TESTS).
#
# The functions return nonzero on failure and say what failed on stderr;
# none of them exits the caller's shell, also under "set -e".  Every name
# they create (namespace, tap, QEMU's -name) carries a prefix unique to the
# run; colo_qemu_cleanup stops only the QEMUs it started and removes only
# what it created.

# Where colo-qemu-peer.py is: $COLO_QEMU_TESTS if set, else the folder of
# this file when the shell tells (bash does).
if test -z "$COLO_QEMU_TESTS" && test -n "${BASH_SOURCE:-}"; then
    COLO_QEMU_TESTS=$(cd "$(dirname "${BASH_SOURCE}")" && pwd)
fi

# The guest's kernel modules, in the order insmod needs them, are found
# from these (the kernel's modinfo gives their dependencies).
COLO_QEMU_MODULES=${COLO_QEMU_MODULES:-"virtio_pci virtio_net e1000"}

# _colo_qemu_kver
#
# Prints the version of the newest kernel in /boot whose modules are
# installed, or $COLO_QEMU_KVER if set.
_colo_qemu_kver () {
    if test -n "$COLO_QEMU_KVER"; then
        echo "$COLO_QEMU_KVER"
        return 0
    fi
    for _colo_qemu_k in $(ls /boot 2>/dev/null | sed -n 's/^vmlinuz-//p' \
                              | sort -r -V); do
        if test -d "/lib/modules/$_colo_qemu_k/kernel"; then
            echo "$_colo_qemu_k"
            return 0
        fi
    done
    return 1
}

# _colo_qemu_static FILE
#
# Succeeds if FILE is a 64-bit little-endian ELF executable without a
# program interpreter (no PT_INTERP program header): a static binary.
_colo_qemu_static () {
    test "$(od -An -N5 -tx1 "$1" 2>/dev/null | tr -d ' \n')" = 7f454c4602 \
        || return 1
    _colo_qemu_phoff=$(od -An -j32 -N8 -tu8 "$1" | tr -d ' ')
    _colo_qemu_phsz=$(od -An -j54 -N2 -tu2 "$1" | tr -d ' ')
    _colo_qemu_phnum=$(od -An -j56 -N2 -tu2 "$1" | tr -d ' ')
    _colo_qemu_i=0
    while test $_colo_qemu_i -lt "$_colo_qemu_phnum"; do
        _colo_qemu_off=$((_colo_qemu_phoff + _colo_qemu_i * _colo_qemu_phsz))
        _colo_qemu_t=$(od -An -j$_colo_qemu_off -N4 -tu4 "$1" | tr -d ' ')
        test "$_colo_qemu_t" != 3 || return 1       # PT_INTERP
        _colo_qemu_i=$((_colo_qemu_i + 1))
    done
    return 0
}

# _colo_qemu_busybox
#
# Prints the path of a statically linked busybox ($COLO_QEMU_BUSYBOX, else
# the usual places), or fails.
_colo_qemu_busybox () {
    for _colo_qemu_bb in "$COLO_QEMU_BUSYBOX" /bin/busybox /usr/bin/busybox \
                         /usr/lib/busybox/busybox-static; do
        test -n "$_colo_qemu_bb" && test -x "$_colo_qemu_bb" || continue
        if _colo_qemu_static "$_colo_qemu_bb"; then
            echo "$_colo_qemu_bb"
            return 0
        fi
    done
    return 1
}

# colo_qemu_available
#
# Succeeds if everything the guest needs is here: qemu-system-x86_64, a
# kernel in /boot with its modules (those of $COLO_QEMU_MODULES and what
# they depend on), a static busybox, cpio and modinfo.  Otherwise prints
# why not (for AT_SKIP_IF) and fails.
colo_qemu_available () {
    if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
        echo "colo_qemu_available: no qemu-system-x86_64" \
             "(apt-get install qemu-system-x86)"
        return 1
    fi
    for _colo_qemu_tool in cpio gzip modinfo; do
        if ! command -v $_colo_qemu_tool >/dev/null 2>&1 \
           && ! test -x /sbin/$_colo_qemu_tool; then
            echo "colo_qemu_available: no $_colo_qemu_tool"
            return 1
        fi
    done
    if ! _colo_qemu_k=$(_colo_qemu_kver); then
        echo "colo_qemu_available: no /boot/vmlinuz-* with its modules" \
             "(apt-get install linux-image-amd64)"
        return 1
    fi
    if ! test -r "/boot/vmlinuz-$_colo_qemu_k"; then
        echo "colo_qemu_available: cannot read /boot/vmlinuz-$_colo_qemu_k" \
             "(not root?)"
        return 1
    fi
    if ! _colo_qemu_modorder "$_colo_qemu_k" >/dev/null; then
        echo "colo_qemu_available: kernel $_colo_qemu_k lacks modules" \
             "of: $COLO_QEMU_MODULES"
        return 1
    fi
    if ! _colo_qemu_busybox >/dev/null; then
        echo "colo_qemu_available: no static busybox" \
             "(apt-get install busybox-static)"
        return 1
    fi
    return 0
}

# _colo_qemu_modinfo KVER FIELD MODULE
_colo_qemu_modinfo () {
    if command -v modinfo >/dev/null 2>&1; then
        modinfo -k "$1" -F "$2" "$3" 2>/dev/null
    else
        /sbin/modinfo -k "$1" -F "$2" "$3" 2>/dev/null
    fi
}

# _colo_qemu_modorder KVER
#
# Prints the modules of $COLO_QEMU_MODULES and everything they depend on,
# one a line, each after its dependencies ("modinfo -F depends"), as
# "NAME PATH".  Modules built into the kernel are left out.  Fails if one
# is neither a module nor built in.
_colo_qemu_modorder () {
    _colo_qemu_builtin=/lib/modules/$1/modules.builtin
    # The closure, breadth first.
    _colo_qemu_todo=$COLO_QEMU_MODULES _colo_qemu_all=
    while test -n "$(echo $_colo_qemu_todo)"; do
        _colo_qemu_next=
        for _colo_qemu_m in $_colo_qemu_todo; do
            case " $_colo_qemu_all " in *" $_colo_qemu_m "*) continue ;; esac
            if ! _colo_qemu_p=$(_colo_qemu_modinfo "$1" filename \
                                    "$_colo_qemu_m") \
               || test -z "$_colo_qemu_p"; then
                echo "colo-qemu: no module $_colo_qemu_m for kernel $1" >&2
                return 1
            fi
            case $_colo_qemu_p in
                \(builtin\)) continue ;;
            esac
            _colo_qemu_all="$_colo_qemu_all $_colo_qemu_m"
            _colo_qemu_d=$(_colo_qemu_modinfo "$1" depends "$_colo_qemu_m" \
                               | tr ',' ' ')
            _colo_qemu_next="$_colo_qemu_next $_colo_qemu_d"
        done
        _colo_qemu_todo=$_colo_qemu_next
    done
    # Then in dependency order: a module goes once all it depends on has.
    _colo_qemu_done=
    _colo_qemu_left=$_colo_qemu_all
    while test -n "$(echo $_colo_qemu_left)"; do
        _colo_qemu_rest= _colo_qemu_moved=
        for _colo_qemu_m in $_colo_qemu_left; do
            _colo_qemu_ok=yes
            for _colo_qemu_d in $(_colo_qemu_modinfo "$1" depends \
                                      "$_colo_qemu_m" | tr ',' ' '); do
                case " $_colo_qemu_all " in
                    *" $_colo_qemu_d "*) ;;
                    *) continue ;;      # built in
                esac
                case " $_colo_qemu_done " in
                    *" $_colo_qemu_d "*) ;;
                    *) _colo_qemu_ok= ;;
                esac
            done
            if test -n "$_colo_qemu_ok"; then
                _colo_qemu_done="$_colo_qemu_done $_colo_qemu_m"
                echo "$_colo_qemu_m $(_colo_qemu_modinfo "$1" filename \
                                          "$_colo_qemu_m")"
                _colo_qemu_moved=yes
            else
                _colo_qemu_rest="$_colo_qemu_rest $_colo_qemu_m"
            fi
        done
        if test -z "$_colo_qemu_moved"; then
            echo "colo-qemu: module dependency loop among:" \
                 "$_colo_qemu_rest" >&2
            return 1
        fi
        _colo_qemu_left=$_colo_qemu_rest
    done
}

# colo_qemu_init [PREFIX]
#
# Chooses the names for one run.  PREFIX (default "cq" and 6 random hex
# digits, at most 9 characters: tap names are PREFIX-NAME, 15 at most)
# starts the namespace's name, the taps' names and every QEMU's -name.
# Sets:
#
#   COLO_QEMU_PREFIX    PREFIX
#   COLO_QEMU_DIR       where initramfs, logs, sockets and pid files go:
#                       $COLO_QEMU_DIR if set, else the current folder
#   COLO_QEMU_KVER      the guest's kernel version (see colo_qemu_available)
#   COLO_QEMU_KERNEL    /boot/vmlinuz-$COLO_QEMU_KVER
colo_qemu_init () {
    if test -n "$1"; then
        COLO_QEMU_PREFIX=$1
    else
        COLO_QEMU_PREFIX=cq$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
    fi
    if test ${#COLO_QEMU_PREFIX} -gt 9; then
        echo "colo_qemu_init: prefix $COLO_QEMU_PREFIX is too long" >&2
        return 1
    fi
    COLO_QEMU_DIR=${COLO_QEMU_DIR:-$(pwd)}
    COLO_QEMU_NETNS=${COLO_QEMU_NETNS:-}
    if ! COLO_QEMU_KVER=$(_colo_qemu_kver); then
        echo "colo_qemu_init: no kernel in /boot with its modules" >&2
        return 1
    fi
    COLO_QEMU_KERNEL=${COLO_QEMU_KERNEL:-/boot/vmlinuz-$COLO_QEMU_KVER}
}

# _colo_qemu_decompress FILE DEST
#
# Copies the module FILE to DEST, decompressed (.ko, .ko.xz, .ko.zst,
# .ko.gz), since busybox's insmod wants it plain.
_colo_qemu_decompress () {
    case $1 in
        *.ko) cp "$1" "$2" ;;
        *.ko.xz) xz -dc "$1" > "$2" ;;
        *.ko.zst) zstd -qdc "$1" > "$2" ;;
        *.ko.gz) gzip -dc "$1" > "$2" ;;
        *) echo "colo-qemu: unknown module format: $1" >&2; return 1 ;;
    esac
}

# colo_qemu_initramfs DIR
#
# Builds DIR/initramfs.cpio.gz: busybox, the modules of $COLO_QEMU_MODULES
# with their dependencies (from /lib/modules/$COLO_QEMU_KVER) and the
# /init described at the top.  The same inputs give the same bytes.
colo_qemu_initramfs () {
    _colo_qemu_out=${1:-${COLO_QEMU_DIR:-.}}
    if test -z "$COLO_QEMU_KVER"; then
        echo "colo_qemu_initramfs: call colo_qemu_init first" >&2
        return 1
    fi
    if ! _colo_qemu_bb=$(_colo_qemu_busybox); then
        echo "colo_qemu_initramfs: no static busybox" >&2
        return 1
    fi
    _colo_qemu_root=$_colo_qemu_out/initramfs.root
    rm -rf "$_colo_qemu_root"
    mkdir -p "$_colo_qemu_root/bin" "$_colo_qemu_root/dev" \
             "$_colo_qemu_root/proc" "$_colo_qemu_root/sys" \
             "$_colo_qemu_root/tmp" "$_colo_qemu_root/lib/colo" || return 1
    cp "$_colo_qemu_bb" "$_colo_qemu_root/bin/busybox" || return 1
    ln -s busybox "$_colo_qemu_root/bin/sh" || return 1

    if ! _colo_qemu_mods=$(_colo_qemu_modorder "$COLO_QEMU_KVER"); then
        echo "colo_qemu_initramfs: cannot find the modules" >&2
        return 1
    fi
    : > "$_colo_qemu_root/lib/colo/modules"
    echo "$_colo_qemu_mods" | while read _colo_qemu_m _colo_qemu_p; do
        _colo_qemu_decompress "$_colo_qemu_p" \
            "$_colo_qemu_root/lib/colo/$_colo_qemu_m.ko" || exit 1
        echo "$_colo_qemu_m" >> "$_colo_qemu_root/lib/colo/modules"
    done || { echo "colo_qemu_initramfs: cannot copy the modules" >&2
              return 1; }

    # The console, for the kernel to give /init before devtmpfs is up.
    # (Needs root; /init mounts devtmpfs and reopens it anyway.)
    mknod "$_colo_qemu_root/dev/console" c 5 1 2>/dev/null || :

    cat > "$_colo_qemu_root/lib/colo/sha256" <<'EOF'
#!/bin/sh
sha256sum | cut -c1-64
EOF
    cat > "$_colo_qemu_root/lib/colo/generate" <<'EOF'
#!/bin/sh
read n
case $n in ''|*[!0-9]*) echo "bad count" >&2; exit 1 ;; esac
yes colo-guest | head -c "$n"
EOF
    cat > "$_colo_qemu_root/init" <<'EOF'
#!/bin/sh
# ovs-colo test guest (colo-qemu.sh).
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
say () { echo "colo-guest: $*"; }

for m in $(cat /lib/colo/modules); do
    insmod /lib/colo/$m.ko || say "insmod $m failed"
done

cip=10.1.1.2/24 cmac= cmtu= cneigh= cipv6=
for w in $(cat /proc/cmdline); do
    case $w in
        colo.ip=*) cip=${w#colo.ip=} ;;
        colo.mac=*) cmac=${w#colo.mac=} ;;
        colo.mtu=*) cmtu=${w#colo.mtu=} ;;
        colo.neigh=*) cneigh=${w#colo.neigh=} ;;
        colo.ipv6=*) cipv6=${w#colo.ipv6=} ;;
    esac
done
if test "$cipv6" != on; then
    for f in /proc/sys/net/ipv6/conf/*/disable_ipv6; do
        echo 1 > $f 2>/dev/null
    done
fi

if=eth0 i=0
while ! test -e /sys/class/net/$if; do
    if test $i -ge 200; then
        say "failed: no $if"
        ls /sys/class/net
        while :; do sleep 3600; done
    fi
    sleep 0.1
    i=$((i + 1))
done
ip link set lo up
test -z "$cmac" || ip link set $if address $cmac
test -z "$cmtu" || ip link set $if mtu $cmtu
ip addr add $cip dev $if
ip link set $if up
if test -n "$cneigh"; then
    # (busybox's ip has no "neigh replace")
    arp -i $if -s ${cneigh%%,*} ${cneigh#*,}
fi

nc -ll -p 7 -e /bin/cat &
nc -ll -p 5000 -e /lib/colo/sha256 &
nc -ll -p 5001 -e /lib/colo/generate &
i=0
while test $(netstat -ltn | grep -c -E ':(7|5000|5001) ') -lt 3; do
    if test $i -ge 100; then
        say "failed: services did not start"
        break
    fi
    sleep 0.1
    i=$((i + 1))
done

drv=$(readlink /sys/class/net/$if/device/driver)
say "ready if=$if ip=$cip mac=$(cat /sys/class/net/$if/address)" \
    "driver=${drv##*/}"
while :; do sleep 3600; done
EOF
    chmod 755 "$_colo_qemu_root/init" "$_colo_qemu_root/lib/colo/sha256" \
              "$_colo_qemu_root/lib/colo/generate" || return 1

    # Reproducible: fixed times, owners and order.
    find "$_colo_qemu_root" -exec touch -h -d @0 {} + || return 1
    if ! (cd "$_colo_qemu_root" && find . | LC_ALL=C sort \
              | cpio --quiet --reproducible -o -H newc -R 0:0) \
            | gzip -n -9 > "$_colo_qemu_out/initramfs.cpio.gz.tmp"; then
        echo "colo_qemu_initramfs: cpio failed" >&2
        rm -f "$_colo_qemu_out/initramfs.cpio.gz.tmp"
        return 1
    fi
    mv "$_colo_qemu_out/initramfs.cpio.gz.tmp" \
       "$_colo_qemu_out/initramfs.cpio.gz" || return 1
    rm -rf "$_colo_qemu_root"
}

# colo_qemu_netns_create
#
# Creates network namespace $COLO_QEMU_PREFIX-ns with lo up, and sets
# COLO_QEMU_NETNS to it: colo_qemu_start then runs QEMU in it (its -netdev
# tap and its -chardev sockets live there), as do colo_qemu_exec and
# colo_qemu_tap_create.
colo_qemu_netns_create () {
    _colo_qemu_ns=$COLO_QEMU_PREFIX-ns
    if ! ip netns add "$_colo_qemu_ns"; then
        echo "colo_qemu_netns_create: cannot create $_colo_qemu_ns" >&2
        return 1
    fi
    COLO_QEMU_NETNS=$_colo_qemu_ns
    if ! ip -n "$_colo_qemu_ns" link set lo up; then
        echo "colo_qemu_netns_create: cannot bring up lo" >&2
        return 1
    fi
}

# colo_qemu_exec COMMAND [ARG]...
#
# Runs COMMAND in $COLO_QEMU_NETNS (or here, if unset).
colo_qemu_exec () {
    if test -n "$COLO_QEMU_NETNS"; then
        ip netns exec "$COLO_QEMU_NETNS" "$@"
    else
        "$@"
    fi
}

# colo_qemu_tap_name NAME
#
# Prints the interface name of tap NAME: $COLO_QEMU_PREFIX-NAME.
colo_qemu_tap_name () {
    echo "$COLO_QEMU_PREFIX-$1"
}

# colo_qemu_tap_create NAME [IP/LEN]
#
# Creates a persistent tap, $COLO_QEMU_PREFIX-NAME, in $COLO_QEMU_NETNS (or
# here), with IP/LEN on it, IPv6 off, transmit checksum offload off, and
# brings it up, so that the host's end is ready before QEMU opens it (with
# -netdev tap,ifname=...,script=no,downscript=no).  colo_qemu_cleanup
# removes it.
colo_qemu_tap_create () {
    _colo_qemu_tap=$(colo_qemu_tap_name "$1")
    if test ${#_colo_qemu_tap} -gt 15; then
        echo "colo_qemu_tap_create: $_colo_qemu_tap is too long" >&2
        return 1
    fi
    if ! colo_qemu_exec ip tuntap add dev "$_colo_qemu_tap" mode tap; then
        echo "colo_qemu_tap_create: cannot create tap $_colo_qemu_tap" >&2
        return 1
    fi
    colo_qemu_exec sysctl -q -w \
        net.ipv6.conf."$_colo_qemu_tap".disable_ipv6=1 >/dev/null 2>&1 || :
    if test -n "$2" && ! colo_qemu_exec ip addr add "$2" \
                                          dev "$_colo_qemu_tap"; then
        echo "colo_qemu_tap_create: cannot add $2 to $_colo_qemu_tap" >&2
        return 1
    fi
    colo_qemu_exec ethtool -K "$_colo_qemu_tap" tx off >/dev/null 2>&1 || :
    if ! colo_qemu_exec ip link set "$_colo_qemu_tap" up; then
        echo "colo_qemu_tap_create: cannot bring up $_colo_qemu_tap" >&2
        return 1
    fi
}

# colo_qemu_running NAME
#
# Succeeds if the QEMU started as NAME still runs (not a zombie, and still
# the QEMU that colo_qemu_start started: its -name is checked).
colo_qemu_running () {
    _colo_qemu_pid=$(cat "${COLO_QEMU_DIR:-.}/$1.pid" 2>/dev/null) \
        || return 1
    test -n "$_colo_qemu_pid" || return 1
    kill -0 "$_colo_qemu_pid" 2>/dev/null || return 1
    case $(sed 's/.*) //' /proc/$_colo_qemu_pid/stat 2>/dev/null) in
        Z*|X*|'') return 1 ;;
    esac
    tr '\0' ' ' < /proc/$_colo_qemu_pid/cmdline 2>/dev/null \
        | grep -q -- "-name $COLO_QEMU_PREFIX-$1 " || return 1
    return 0
}

# colo_qemu_start NAME [QEMU-ARG]...
#
# Starts qemu-system-x86_64 in the background (in $COLO_QEMU_NETNS, if
# set) with the guest's kernel ($COLO_QEMU_KERNEL), initramfs
# ($COLO_QEMU_INITRD, default $COLO_QEMU_DIR/initramfs.cpio.gz) and command
# line ("console=ttyS0 panic=-1 quiet" and $COLO_QEMU_APPEND), TCG,
# $COLO_QEMU_MEM MB (default 256), one CPU, and the caller's arguments
# (-netdev, -device, -chardev, -object ...).  Waits until its QMP socket
# is there (at most 20 s); fails, with QEMU's stderr, if QEMU exits first.
# Put "romfile=" on the NIC's -device: no option ROM to load, and a
# faster start.
colo_qemu_start () {
    _colo_qemu_name=$1
    shift
    _colo_qemu_base=${COLO_QEMU_DIR:-.}/$_colo_qemu_name
    if test -z "$COLO_QEMU_PREFIX"; then
        echo "colo_qemu_start: call colo_qemu_init first" >&2
        return 1
    fi
    if colo_qemu_running "$_colo_qemu_name"; then
        echo "colo_qemu_start: $_colo_qemu_name already runs" >&2
        return 1
    fi
    _colo_qemu_initrd=${COLO_QEMU_DIR:-.}/initramfs.cpio.gz
    _colo_qemu_initrd=${COLO_QEMU_INITRD:-$_colo_qemu_initrd}
    if ! test -r "$_colo_qemu_initrd"; then
        echo "colo_qemu_start: no $_colo_qemu_initrd" \
             "(colo_qemu_initramfs)" >&2
        return 1
    fi
    rm -f "$_colo_qemu_base.qmp" "$_colo_qemu_base.serial" \
          "$_colo_qemu_base.pid" "$_colo_qemu_base.out" \
          "$_colo_qemu_base.err"
    echo "$_colo_qemu_name" >> "${COLO_QEMU_DIR:-.}/$COLO_QEMU_PREFIX-started"
    set -- qemu-system-x86_64 \
        -name "$COLO_QEMU_PREFIX-$_colo_qemu_name" \
        -nodefaults -no-user-config -display none -no-reboot \
        -accel tcg -machine pc -smp 1 -m "${COLO_QEMU_MEM:-256}" \
        -kernel "$COLO_QEMU_KERNEL" -initrd "$_colo_qemu_initrd" \
        -append "console=ttyS0 panic=-1 quiet $COLO_QEMU_APPEND" \
        -serial "file:$_colo_qemu_base.serial" \
        -qmp "unix:$_colo_qemu_base.qmp,server=on,wait=off" \
        "$@"
    if test -n "$COLO_QEMU_NETNS"; then
        set -- ip netns exec "$COLO_QEMU_NETNS" "$@"
    fi
    # The background subshell execs QEMU ("ip netns exec" execs it too):
    # $! is QEMU's process ID.
    exec "$@" > "$_colo_qemu_base.out" 2> "$_colo_qemu_base.err" &
    echo $! > "$_colo_qemu_base.pid"

    _colo_qemu_i=0
    until test -S "$_colo_qemu_base.qmp"; do
        if ! colo_qemu_running "$_colo_qemu_name" \
           || test $_colo_qemu_i -ge 200; then
            echo "colo_qemu_start: QEMU $_colo_qemu_name did not start:" >&2
            cat "$_colo_qemu_base.err" >&2
            colo_qemu_stop "$_colo_qemu_name" >/dev/null 2>&1
            return 1
        fi
        sleep 0.1
        _colo_qemu_i=$((_colo_qemu_i + 1))
    done
}

# colo_qemu_wait_ready NAME [SECONDS]
#
# Waits, at most SECONDS (default 120), until the guest of QEMU NAME has
# printed "colo-guest: ready" on its serial console.  Fails, with the end
# of the console and QEMU's stderr, if QEMU exits first, if the guest says
# "colo-guest: failed" or when the time is up.
colo_qemu_wait_ready () {
    _colo_qemu_serial=${COLO_QEMU_DIR:-.}/$1.serial
    _colo_qemu_i=0
    while :; do
        if grep -q '^colo-guest: ready' "$_colo_qemu_serial" 2>/dev/null
        then
            return 0
        fi
        _colo_qemu_why=
        if grep -q '^colo-guest: failed' "$_colo_qemu_serial" 2>/dev/null
        then
            _colo_qemu_why="the guest failed"
        elif ! colo_qemu_running "$1"; then
            _colo_qemu_why="QEMU exited"
        elif test $_colo_qemu_i -ge $((${2:-120} * 10)); then
            _colo_qemu_why="not ready after ${2:-120} s"
        fi
        if test -n "$_colo_qemu_why"; then
            echo "colo_qemu_wait_ready: $1: $_colo_qemu_why; console:" >&2
            tail -n 20 "$_colo_qemu_serial" >&2 2>/dev/null
            echo "colo_qemu_wait_ready: $1: QEMU's stderr:" >&2
            cat "${COLO_QEMU_DIR:-.}/$1.err" >&2 2>/dev/null
            return 1
        fi
        sleep 0.1
        _colo_qemu_i=$((_colo_qemu_i + 1))
    done
}

# colo_qemu_qmp NAME COMMAND [ARGUMENTS-JSON]
#
# Runs one QMP command on QEMU NAME and prints its "return" value as JSON
# (colo-qemu-peer.py qmp).  Fails, saying why, on an error or after 10 s.
colo_qemu_qmp () {
    if test ! -f "$COLO_QEMU_TESTS/colo-qemu-peer.py"; then
        echo "colo_qemu_qmp: set COLO_QEMU_TESTS to the folder of" \
             "colo-qemu-peer.py" >&2
        return 1
    fi
    _colo_qemu_name=$1
    shift
    ${PYTHON3:-python3} "$COLO_QEMU_TESTS/colo-qemu-peer.py" qmp \
        --timeout 10 "${COLO_QEMU_DIR:-.}/$_colo_qemu_name.qmp" "$@"
}

# colo_qemu_chardev_port NAME LABEL
#
# Prints the TCP port of chardev LABEL of QEMU NAME, from query-chardev:
# a chardev socket with port=0 listens on a port the kernel chose, and
# QEMU's filename for it ("disconnected:tcp:127.0.0.1:PORT,server=on")
# tells which.
colo_qemu_chardev_port () {
    colo_qemu_qmp "$1" query-chardev | ${PYTHON3:-python3} -c '
import json, sys
for c in json.load(sys.stdin):
    if c["label"] == sys.argv[1]:
        head = c["filename"].split(",")[0]
        if ":tcp:" in head or head.startswith("tcp:"):
            print(head.rsplit(":", 1)[1])
            sys.exit(0)
sys.stderr.write("colo_qemu_chardev_port: no TCP chardev %s\n"
                 % sys.argv[1])
sys.exit(1)' "$2"
}

# colo_qemu_stop NAME [SECONDS]
#
# Stops QEMU NAME: "quit" over QMP, then, if it still runs after SECONDS
# (default 10), SIGTERM, then SIGKILL; waits until it is gone (at most 5 s
# more).  Succeeds at once if it does not run.
colo_qemu_stop () {
    colo_qemu_running "$1" || return 0
    _colo_qemu_pid=$(cat "${COLO_QEMU_DIR:-.}/$1.pid")
    colo_qemu_qmp "$1" quit >/dev/null 2>&1 || :
    for _colo_qemu_sig in none TERM KILL; do
        if test $_colo_qemu_sig != none; then
            colo_qemu_running "$1" || return 0
            kill -$_colo_qemu_sig "$_colo_qemu_pid" 2>/dev/null || :
        fi
        if test $_colo_qemu_sig = none; then
            _colo_qemu_n=$((${2:-10} * 10))
        else
            _colo_qemu_n=50
        fi
        _colo_qemu_i=0
        while colo_qemu_running "$1" && test $_colo_qemu_i -lt $_colo_qemu_n
        do
            sleep 0.1
            _colo_qemu_i=$((_colo_qemu_i + 1))
        done
    done
    if colo_qemu_running "$1"; then
        echo "colo_qemu_stop: QEMU $1 (pid $_colo_qemu_pid) still runs" >&2
        return 1
    fi
    # Collect it if it is our child (nothing happens if it is not).
    wait "$_colo_qemu_pid" 2>/dev/null || :
    return 0
}

# colo_qemu_cleanup
#
# Stops every QEMU that colo_qemu_start started for $COLO_QEMU_PREFIX, then
# removes its taps and its namespace.  Safe to run at any point, any
# number of times.
colo_qemu_cleanup () {
    test -n "$COLO_QEMU_PREFIX" || return 0
    _colo_qemu_list=${COLO_QEMU_DIR:-.}/$COLO_QEMU_PREFIX-started
    if test -f "$_colo_qemu_list"; then
        for _colo_qemu_n in $(sort -u "$_colo_qemu_list"); do
            colo_qemu_stop "$_colo_qemu_n" 3 || :
        done
        rm -f "$_colo_qemu_list"
    fi
    _colo_qemu_re="s/^[0-9]*: \($COLO_QEMU_PREFIX-[^:@]*\).*/\1/p"
    for _colo_qemu_t in $(colo_qemu_exec ip -o link show type tun \
                              2>/dev/null | sed -n "$_colo_qemu_re"); do
        colo_qemu_exec ip link del "$_colo_qemu_t" 2>/dev/null || :
    done
    if test -n "$COLO_QEMU_NETNS" \
       && test "$COLO_QEMU_NETNS" = "$COLO_QEMU_PREFIX-ns"; then
        if test -e "/run/netns/$COLO_QEMU_NETNS"; then
            # Whatever else the test ran in it (peers, clients).
            _colo_qemu_pids=$(ip netns pids "$COLO_QEMU_NETNS" 2>/dev/null)
            test -z "$_colo_qemu_pids" || kill $_colo_qemu_pids 2>/dev/null
            ip netns del "$COLO_QEMU_NETNS" 2>/dev/null || :
        fi
        COLO_QEMU_NETNS=
    fi
    return 0
}
