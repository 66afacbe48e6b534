# colo-topology.sh: the network of the ovs-colo system tests and demo.
#
# Sourced ("." in POSIX sh) by tests/system-colo.at and by the demo.  It
# builds, on a userspace OVS bridge of a switch that the caller started,
# what the host of a COLO secondary sees of one protected guest, with real
# Linux TCP stacks in network namespaces:
#
#     namespace  interface  address              bridge port  OpenFlow
#     client     eth0       10.1.1.1  fd01::1    PFX-cli      1
#     pvm        eth0       10.1.1.2  fd01::2    PFX-pvm      2
#     svm        eth0       10.1.1.2  fd01::2    PFX-svm      3
#     cmp        eth0       (none)               PFX-cap      4
#     cmp        eth1       (none)               PFX-cmp      5
#
# The PVM and the SVM have the same addresses, IPv4, IPv6 and MAC.  With
# COLO_TOPO_SVM_IFACE set to the name of an existing interface (the tap of
# a QEMU guest with those addresses), the SVM is that guest instead of a
# namespace: the interface becomes the SVM's bridge port, there is no
# namespace svm, and colo_topo_cleanup takes it off the bridge but leaves
# it.  The flows (colo_topo_flows) send:
#
#     the client's packets  to the PVM, and through
#                           colo_rewrite(zone=Z,primary) to the SVM;
#     the SVM's packets     through colo_rewrite(zone=Z,secondary) to the
#                           capture port PFX-cap;
#     the PVM's packets     to the client, through the comparator.
#
# The comparator (colo-compare.py, running in namespace cmp) stands for
# COLO's: it holds each packet of the PVM until the SVM, whose output it
# reads on the capture port, has sent as far, then lets it go to the client.
# Without it a client could acknowledge bytes that the PVM sent and the SVM
# has not sent yet; the SVM's TCP ignores such acknowledgements (RFC 793)
# and, once behind, never catches up.  colo_topo_flows --direct leaves it
# out.
#
# Usage:
#
#     . colo-topology.sh
#     colo_topo_init [PREFIX]       # sets the COLO_* variables below
#     trap colo_topo_cleanup EXIT   # or the test framework's equivalent
#     colo_topo_create              # namespaces, veths, addresses, ports
#     colo_topo_compare_start       # the comparator
#     colo_topo_flows               # the colo_rewrite flows
#     colo_topo_exec client CMD...  # runs CMD in a namespace
#     colo_topo_spawn pvm NAME CMD...   # the same, in the background
#     colo_topo_capture_start cap NAME  # tcpdump of the SVM's output
#     ...
#     colo_topo_cleanup
#
# ovs-vsctl and ovs-ofctl are taken from PATH and find the switch the usual
# way (OVS_RUNDIR); ip, ethtool, sysctl and tcpdump must be installed, and
# Python 3 ($PYTHON3, else python3) for the comparator.  All functions need
# root.  Nothing here touches an address, interface or process that these
# functions did not create: every name carries a prefix unique to the run,
# and cleanup removes only what carries it.
#
# The functions return nonzero on failure and say what failed on stderr;
# none of them exits the caller's shell, also under "set -e".

# Where colo-compare.py is: $COLO_UTILITIES if set, else the folder of this
# file when the shell tells (bash does).
if test -z "$COLO_UTILITIES" && test -n "${BASH_SOURCE:-}"; then
    COLO_UTILITIES=$(cd "$(dirname "${BASH_SOURCE}")" && pwd)
fi

# colo_topo_init [PREFIX]
#
# Chooses the names for one topology.  PREFIX (default: "co" and 6 random
# hex digits) starts every namespace ("PREFIX-client", ...) and every
# interface in the root namespace ("PREFIX-cli", ...); interface names have
# at most 15 characters, so PREFIX may have at most 11.  Sets:
#
#   COLO_TOPO_PREFIX        PREFIX
#   COLO_TOPO_DIR           where pid files, outputs and captures go:
#                           $COLO_TOPO_DIR if set, else the current folder
#   COLO_BR                 the bridge: $COLO_BR if set, else br0
#   COLO_ZONE               the colo_rewrite zone: $COLO_ZONE if set, else 5
#   COLO_CLIENT_IP, COLO_CLIENT_IP6, COLO_CLIENT_MAC
#   COLO_VM_IP, COLO_VM_IP6, COLO_VM_MAC    (the PVM's and the SVM's)
#
# COLO_TOPO_SVM_IFACE, if set, is kept (see above).
colo_topo_init () {
    if test -n "$1"; then
        COLO_TOPO_PREFIX=$1
    else
        COLO_TOPO_PREFIX=co$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
    fi
    if test ${#COLO_TOPO_PREFIX} -gt 11; then
        echo "colo_topo_init: prefix $COLO_TOPO_PREFIX is too long" >&2
        return 1
    fi
    COLO_TOPO_DIR=${COLO_TOPO_DIR:-$(pwd)}
    COLO_BR=${COLO_BR:-br0}
    COLO_ZONE=${COLO_ZONE:-5}
    COLO_CLIENT_IP=10.1.1.1
    COLO_CLIENT_IP6=fd01::1
    COLO_CLIENT_MAC=50:54:00:00:00:01
    COLO_VM_IP=10.1.1.2
    COLO_VM_IP6=fd01::2
    COLO_VM_MAC=50:54:00:00:00:02
}

# colo_topo_ns ROLE
#
# Prints the name of the namespace of ROLE: client, pvm, svm or cmp (cap
# also gives cmp).
colo_topo_ns () {
    case $1 in
        cap) echo "$COLO_TOPO_PREFIX-cmp" ;;
        *) echo "$COLO_TOPO_PREFIX-$1" ;;
    esac
}

# colo_topo_port ROLE
#
# Prints the name of the bridge port of ROLE: client, pvm, svm, cap (the
# SVM's output, read by the comparator and by captures) or cmp (the PVM's
# output, to and from the comparator).
colo_topo_port () {
    case $1 in
        client) echo "$COLO_TOPO_PREFIX-cli" ;;
        svm) echo "${COLO_TOPO_SVM_IFACE:-$COLO_TOPO_PREFIX-svm}" ;;
        *) echo "$COLO_TOPO_PREFIX-$1" ;;
    esac
}

# colo_topo_iface ROLE
#
# Prints the name of ROLE's interface in its namespace.
colo_topo_iface () {
    case $1 in
        cmp) echo eth1 ;;
        *) echo eth0 ;;
    esac
}

# colo_topo_exec ROLE COMMAND [ARG]...
#
# Runs COMMAND in the namespace of ROLE.
colo_topo_exec () {
    _colo_ns=$(colo_topo_ns "$1")
    shift
    ip netns exec "$_colo_ns" "$@"
}

# _colo_run DESCRIPTION COMMAND [ARG]...
#
# Runs COMMAND; if it fails, says so on stderr, with its output.
_colo_run () {
    _colo_what=$1
    shift
    if _colo_out=$("$@" 2>&1); then
        return 0
    fi
    echo "colo-topology: $_colo_what failed: $*" >&2
    test -z "$_colo_out" || echo "$_colo_out" >&2
    return 1
}

# _colo_add_port PORT OFPORT
#
# Adds interface PORT to the bridge as OpenFlow port OFPORT, marked as ours.
_colo_add_port () {
    _colo_run "adding $1 to $COLO_BR" \
        ovs-vsctl --timeout=10 add-port "$COLO_BR" "$1" \
            -- set interface "$1" ofport_request=$2 \
               external_ids:colo-topology="$COLO_TOPO_PREFIX"
}

# colo_topo_create
#
# Creates the namespaces and the veth pairs, configures the namespace ends
# and adds the other ends to bridge $COLO_BR as OpenFlow ports 1 to 5 (when
# those numbers are free).  The bridge is created, with
# datapath_type=netdev, if it does not exist (and then removed by
# colo_topo_cleanup).
#
# In the namespaces of the client, the PVM and the SVM: IPv6 duplicate
# address detection off (the PVM and the SVM share an address), transmit
# checksum offload off on eth0 (the userspace datapath reads veths through
# AF_PACKET sockets, which see partial checksums as they are), and
# permanent neighbour entries, so that nothing but TCP needs to pass.
#
# The SVM keeps TCP timestamps but without the per-connection random
# offset (net.ipv4.tcp_timestamps=2), while the PVM keeps the default (1).
# Two real guests run two kernels with their own secrets, so their
# timestamp clocks differ; two namespaces of one kernel would derive the
# same offset from the same addresses, and colo_rewrite's timestamp
# translation would go untested.  Their initial sequence numbers differ
# anyway, by the time that passes between the two SYN or SYN+ACK.
colo_topo_create () {
    if ! ovs-vsctl --timeout=10 br-exists "$COLO_BR"; then
        _colo_run "creating bridge $COLO_BR" \
            ovs-vsctl --timeout=10 add-br "$COLO_BR" \
                -- set bridge "$COLO_BR" datapath_type=netdev \
                   fail-mode=secure \
                   protocols=OpenFlow10,OpenFlow13,OpenFlow14,OpenFlow15 \
            || return 1
        : > "${COLO_TOPO_DIR:-.}/$COLO_TOPO_PREFIX-created-$COLO_BR"
    fi

    for _colo_role in client pvm svm cmp; do
        test $_colo_role != svm || test -z "$COLO_TOPO_SVM_IFACE" || continue
        _colo_ns=$(colo_topo_ns $_colo_role)
        _colo_run "creating namespace $_colo_ns" \
            ip netns add "$_colo_ns" || return 1
        _colo_run "configuring namespace $_colo_ns" \
            ip netns exec "$_colo_ns" sysctl -q -w \
                net.ipv6.conf.all.accept_dad=0 \
                net.ipv6.conf.default.accept_dad=0 || return 1
        _colo_run "bringing up lo in $_colo_ns" \
            ip -n "$_colo_ns" link set lo up || return 1
    done

    _colo_ofport=1
    for _colo_role in client pvm svm cap cmp; do
        _colo_ns=$(colo_topo_ns $_colo_role)
        _colo_port=$(colo_topo_port $_colo_role)
        _colo_if=$(colo_topo_iface $_colo_role)
        if test $_colo_role = svm && test -n "$COLO_TOPO_SVM_IFACE"; then
            # The SVM's own interface, configured by its owner.
            _colo_add_port "$_colo_port" $_colo_ofport || return 1
            _colo_ofport=$((_colo_ofport + 1))
            continue
        fi
        _colo_run "creating veth $_colo_port" \
            ip link add "$_colo_port" type veth \
                peer name $_colo_if netns "$_colo_ns" || return 1
        # The root namespace's end only carries frames for OVS.
        sysctl -q -w net.ipv6.conf."$_colo_port".disable_ipv6=1 \
            >/dev/null 2>&1 || :
        _colo_run "bringing up $_colo_port" \
            ip link set "$_colo_port" up || return 1
        _colo_add_port "$_colo_port" $_colo_ofport || return 1
        _colo_ofport=$((_colo_ofport + 1))

        case $_colo_role in
            cap|cmp)
                # The comparator's interfaces have no address and send only
                # what the comparator sends.
                _colo_run "configuring $_colo_if in $_colo_ns" \
                    ip netns exec "$_colo_ns" sysctl -q -w \
                        net.ipv6.conf.$_colo_if.disable_ipv6=1 || return 1
                _colo_run "bringing up $_colo_if in $_colo_ns" \
                    ip -n "$_colo_ns" link set $_colo_if up || return 1
                continue
                ;;
            client)
                _colo_mac=$COLO_CLIENT_MAC _colo_ip=$COLO_CLIENT_IP
                _colo_ip6=$COLO_CLIENT_IP6 _colo_peer_mac=$COLO_VM_MAC
                _colo_peer_ip=$COLO_VM_IP _colo_peer_ip6=$COLO_VM_IP6
                ;;
            *)
                _colo_mac=$COLO_VM_MAC _colo_ip=$COLO_VM_IP
                _colo_ip6=$COLO_VM_IP6 _colo_peer_mac=$COLO_CLIENT_MAC
                _colo_peer_ip=$COLO_CLIENT_IP
                _colo_peer_ip6=$COLO_CLIENT_IP6
                ;;
        esac
        if test $_colo_role = svm; then
            _colo_run "configuring $_colo_ns" \
                ip netns exec "$_colo_ns" sysctl -q -w \
                    net.ipv4.tcp_timestamps=2 || return 1
        fi
        _colo_run "configuring eth0 in $_colo_ns" \
            ip netns exec "$_colo_ns" ethtool -K eth0 tx off || return 1
        _colo_run "configuring eth0 in $_colo_ns" \
            ip -n "$_colo_ns" link set eth0 address $_colo_mac || return 1
        _colo_run "configuring eth0 in $_colo_ns" \
            ip -n "$_colo_ns" addr add $_colo_ip/24 dev eth0 || return 1
        _colo_run "configuring eth0 in $_colo_ns" \
            ip -n "$_colo_ns" addr add $_colo_ip6/64 dev eth0 nodad \
            || return 1
        _colo_run "bringing up eth0 in $_colo_ns" \
            ip -n "$_colo_ns" link set eth0 up || return 1
        _colo_run "adding neighbours in $_colo_ns" \
            ip -n "$_colo_ns" neigh replace $_colo_peer_ip \
                lladdr $_colo_peer_mac dev eth0 nud permanent || return 1
        _colo_run "adding neighbours in $_colo_ns" \
            ip -n "$_colo_ns" neigh replace $_colo_peer_ip6 \
                lladdr $_colo_peer_mac dev eth0 nud permanent || return 1
    done
}

# colo_topo_ofport ROLE
#
# Prints the OpenFlow port number of ROLE's bridge port.
colo_topo_ofport () {
    ovs-vsctl --timeout=10 get interface "$(colo_topo_port "$1")" ofport
}

# _colo_flow PRIORITY IN_PORT[,MATCH] ACTIONS
#
# Prints one flow of colo_topo_flows.
_colo_flow () {
    echo "priority=$1,in_port=$2 actions=$3"
}

# colo_topo_flows [--no-rewrite] [--meter] [--direct] [--failover]
#                 [--no-capture]
#
# Replaces the flows of $COLO_BR with these (written first to
# $COLO_TOPO_DIR/colo-flows.txt):
#
#   client's TCP  -> PVM, and colo_rewrite(zone=Z,primary) -> SVM
#   SVM's TCP     -> colo_rewrite(zone=Z,secondary) -> cap
#   PVM's         -> cmp (the comparator)
#   from cmp      -> client
#
# and, at a lower priority, the same without colo_rewrite for what is not
# TCP.
#
#   --no-rewrite  the same flows without colo_rewrite, to show what the
#                 tests would see if the action did nothing.
#   --meter       the PVM's packets pass OpenFlow meter 1 on their way
#                 from the comparator to the client (create it first,
#                 with colo_topo_meter; meters need OpenFlow 1.3 on the
#                 bridge, which colo_topo_create allows when it creates
#                 the bridge).
#   --direct      the PVM's packets go straight to the client, without the
#                 comparator.
#   --failover    the flows after a failover: the PVM is cut off, the
#                 client's TCP goes through colo_rewrite(primary) to the
#                 SVM only, and the SVM's TCP through
#                 colo_rewrite(secondary) to the client (and to cap).
#   --no-capture  with --failover, the SVM's packets go to the client
#                 alone, not also to cap (for a benchmark, which would
#                 otherwise also measure the copy).
colo_topo_flows () {
    _colo_rw=yes _colo_meter= _colo_direct= _colo_failover=
    _colo_to_cap=yes
    for _colo_opt; do
        case $_colo_opt in
            --no-rewrite) _colo_rw= ;;
            --meter) _colo_meter=meter:1, ;;
            --direct) _colo_direct=yes ;;
            --failover) _colo_failover=yes ;;
            --no-capture) _colo_to_cap= ;;
            *) echo "colo_topo_flows: unknown option $_colo_opt" >&2
               return 1 ;;
        esac
    done
    if test -z "$_colo_to_cap" && test -z "$_colo_failover"; then
        echo "colo_topo_flows: --no-capture needs --failover (the" \
             "comparator reads the SVM's packets on cap)" >&2
        return 1
    fi
    _colo_c=$(colo_topo_ofport client) &&
    _colo_p=$(colo_topo_ofport pvm) &&
    _colo_s=$(colo_topo_ofport svm) &&
    _colo_x=$(colo_topo_ofport cap) &&
    _colo_m=$(colo_topo_ofport cmp) || return 1
    if test -n "$_colo_rw"; then
        _colo_pri="colo_rewrite(zone=$COLO_ZONE,primary),"
        _colo_sec="colo_rewrite(zone=$COLO_ZONE,secondary),"
    else
        _colo_pri= _colo_sec=
    fi

    _colo_flows=${COLO_TOPO_DIR:-.}/colo-flows.txt
    {
        if test -n "$_colo_failover"; then
            _colo_svm_to=output:$_colo_c${_colo_to_cap:+,output:$_colo_x}
            for _colo_tcp in tcp tcp6; do
                _colo_flow 100 $_colo_c,$_colo_tcp \
                    "${_colo_pri}output:$_colo_s"
                _colo_flow 100 $_colo_s,$_colo_tcp "${_colo_sec}$_colo_svm_to"
            done
            _colo_flow 10 $_colo_c "output:$_colo_s"
            _colo_flow 10 $_colo_s "$_colo_svm_to"
        else
            for _colo_tcp in tcp tcp6; do
                _colo_flow 100 $_colo_c,$_colo_tcp \
                    "output:$_colo_p,${_colo_pri}output:$_colo_s"
                _colo_flow 100 $_colo_s,$_colo_tcp \
                    "${_colo_sec}output:$_colo_x"
            done
            _colo_flow 10 $_colo_c "output:$_colo_p,output:$_colo_s"
            _colo_flow 10 $_colo_s "output:$_colo_x"
            if test -n "$_colo_direct"; then
                _colo_flow 10 $_colo_p "${_colo_meter}output:$_colo_c"
            else
                _colo_flow 10 $_colo_p "output:$_colo_m"
                _colo_flow 10 $_colo_m "${_colo_meter}output:$_colo_c"
            fi
        fi
    } > "$_colo_flows"
    _colo_run "installing the flows of $_colo_flows" \
        ovs-ofctl -O OpenFlow10,OpenFlow13 replace-flows "$COLO_BR" \
            "$_colo_flows"
}

# colo_topo_meter KBPS [BURST_KB]
#
# Creates (or changes) OpenFlow meter 1 on $COLO_BR: packets beyond KBPS
# kilobits per second, with bursts of BURST_KB kilobits (default KBPS/10),
# are dropped.  colo_topo_flows --meter puts it on the PVM's path to the
# client, so that the client misses some of the PVM's segments and answers
# with SACK blocks.
colo_topo_meter () {
    _colo_burst=${2:-$(($1 / 10))}
    _colo_spec="meter=1 kbps burst stats"
    _colo_spec="$_colo_spec bands=type=drop rate=$1 burst_size=$_colo_burst"
    if ovs-ofctl -O OpenFlow13 dump-meters "$COLO_BR" 2>/dev/null \
            | grep -q 'meter=1 '; then
        _colo_run "changing meter 1" \
            ovs-ofctl -O OpenFlow13 mod-meter "$COLO_BR" "$_colo_spec"
    else
        _colo_run "adding meter 1" \
            ovs-ofctl -O OpenFlow13 add-meter "$COLO_BR" "$_colo_spec"
    fi
}

# colo_topo_spawn ROLE NAME COMMAND [ARG]...
#
# Starts COMMAND in the background in the namespace of ROLE, with its
# output in $COLO_TOPO_DIR/NAME.out and NAME.err and its process ID in
# NAME.pid.  colo_topo_cleanup kills it if it still runs.
colo_topo_spawn () {
    _colo_ns=$(colo_topo_ns "$1")
    _colo_name=${COLO_TOPO_DIR:-.}/$2
    shift 2
    ip netns exec "$_colo_ns" "$@" > "$_colo_name.out" 2> "$_colo_name.err" &
    echo $! > "$_colo_name.pid"
}

# colo_topo_running NAME
#
# Succeeds if the process started as NAME by colo_topo_spawn still runs.
# (A process that has exited but whose parent has not collected it yet, a
# zombie, does not run: when colo_topo_spawn ran in a subshell, its
# processes are left to init, which may take a while to collect them.)
colo_topo_running () {
    _colo_pid=$(cat "${COLO_TOPO_DIR:-.}/$1.pid" 2>/dev/null) || return 1
    kill -0 "$_colo_pid" 2>/dev/null || return 1
    case $(sed 's/.*) //' /proc/$_colo_pid/stat 2>/dev/null) in
        Z*|X*|'') return 1 ;;
    esac
    return 0
}

# colo_topo_wait NAME [SECONDS]
#
# Waits until the process started as NAME has exited, for at most SECONDS
# (default 30).  Fails if it still runs.
colo_topo_wait () {
    _colo_i=0
    while colo_topo_running "$1"; do
        if test $_colo_i -ge $((${2:-30} * 10)); then
            echo "colo_topo_wait: $1 still runs after ${2:-30} s" >&2
            return 1
        fi
        sleep 0.1
        _colo_i=$((_colo_i + 1))
    done
}

# colo_topo_stop NAME
#
# Stops the process started as NAME (SIGTERM) and waits for it to exit.
colo_topo_stop () {
    if colo_topo_running "$1"; then
        kill "$(cat "${COLO_TOPO_DIR:-.}/$1.pid")" 2>/dev/null || :
        colo_topo_wait "$1" 10
    fi
}

# _colo_wait_for_line NAME TEXT
#
# Waits up to 10 s until NAME.err, the stderr of a process started as
# NAME, holds TEXT.
_colo_wait_for_line () {
    _colo_i=0
    until grep -q "$2" "${COLO_TOPO_DIR:-.}/$1.err" 2>/dev/null; do
        if ! colo_topo_running $1 || test $_colo_i -ge 100; then
            echo "colo-topology: $1 did not start:" >&2
            cat "${COLO_TOPO_DIR:-.}/$1.err" >&2
            return 1
        fi
        sleep 0.1
        _colo_i=$((_colo_i + 1))
    done
}

# colo_topo_compare_start [HOLD]
#
# Starts the comparator (colo-compare.py, see there) as process "compare":
# it holds each packet of the PVM at most HOLD seconds (default 2).
# colo_topo_compare_stop stops it; compare.out then holds its counts.
colo_topo_compare_start () {
    if test ! -f "$COLO_UTILITIES/colo-compare.py"; then
        echo "colo_topo_compare_start: set COLO_UTILITIES to the folder" \
             "of colo-compare.py" >&2
        return 1
    fi
    colo_topo_spawn cmp compare ${PYTHON3:-python3} \
        "$COLO_UTILITIES/colo-compare.py" --primary eth1 --secondary eth0 \
        --hold ${1:-2} ${COLO_COMPARE_FLAGS}
    _colo_wait_for_line compare 'colo-compare: holding'
}

# colo_topo_compare_stop
#
# Stops the comparator and prints its counts: "released N late N clamped
# N" (see colo-compare.py).
colo_topo_compare_stop () {
    colo_topo_stop compare && cat "${COLO_TOPO_DIR:-.}/compare.out"
}

# colo_topo_capture_start ROLE NAME [FILTER]...
#
# Starts tcpdump on ROLE's interface in its namespace (cap: the SVM's
# output after colo_rewrite; cmp: the PVM's output as the comparator
# sees it), writing every frame that matches the pcap FILTER (default:
# all) to $COLO_TOPO_DIR/NAME.pcap, and waits until it captures.
# (--immediate-mode: otherwise the kernel hands frames to tcpdump a block
# at a time, and the last block is lost when tcpdump is stopped.  Frames
# are at most 1514 bytes here, since transmit offloads are off; the
# snapshot length of 4096 bytes and the 64 MB buffer leave room for 16000
# of them if tcpdump falls behind.)
colo_topo_capture_start () {
    _colo_where=$1 _colo_cap=$2
    shift 2
    colo_topo_spawn $_colo_where $_colo_cap \
        tcpdump -i $(colo_topo_iface $_colo_where) -n -U --immediate-mode \
            -s 4096 -B 65536 -Z root \
            -w "${COLO_TOPO_DIR:-.}/$_colo_cap.pcap" "$@"
    _colo_wait_for_line $_colo_cap 'listening on'
}

# colo_topo_capture_stop NAME
#
# Stops the capture NAME and waits until its file is complete.  Fails if
# the kernel dropped frames, since the capture would then be incomplete.
colo_topo_capture_stop () {
    colo_topo_stop "$1" || return 1
    if grep -q '^[1-9][0-9]* packets\{0,1\} dropped by kernel' \
            "${COLO_TOPO_DIR:-.}/$1.err"; then
        echo "colo_topo_capture_stop: capture $1 is incomplete:" >&2
        cat "${COLO_TOPO_DIR:-.}/$1.err" >&2
        return 1
    fi
}

# colo_topo_cleanup
#
# Removes everything the functions above created for $COLO_TOPO_PREFIX:
# the processes in its namespaces (captures end cleanly), its bridge ports
# (and the bridge, if colo_topo_create created it), its veths and its
# namespaces.  Safe to run at any point, any number of times, also after a
# partial colo_topo_create.
colo_topo_cleanup () {
    test -n "$COLO_TOPO_PREFIX" || return 0

    # Processes: everything that runs in one of our namespaces.
    for _colo_sig in TERM KILL; do
        _colo_pids=
        for _colo_role in client pvm svm cmp; do
            _colo_ns=$(colo_topo_ns $_colo_role)
            test -e "/run/netns/$_colo_ns" || continue
            _colo_pids="$_colo_pids $(ip netns pids "$_colo_ns" \
                                          2>/dev/null || :)"
        done
        test -n "$(echo $_colo_pids)" || break
        kill -$_colo_sig $_colo_pids 2>/dev/null || :
        _colo_i=0
        while test $_colo_i -lt 30; do
            _colo_alive=
            for _colo_pid in $_colo_pids; do
                if kill -0 $_colo_pid 2>/dev/null; then
                    _colo_alive=yes
                fi
            done
            test -n "$_colo_alive" || break
            sleep 0.1
            _colo_i=$((_colo_i + 1))
        done
    done

    # Bridge ports, while the switch is there to be told.
    _colo_ports=
    for _colo_role in client pvm svm cap cmp; do
        _colo_port=$(colo_topo_port $_colo_role)
        if ip link show "$_colo_port" >/dev/null 2>&1; then
            _colo_ports="$_colo_ports -- --if-exists del-port $_colo_port"
        fi
    done
    _colo_created=${COLO_TOPO_DIR:-.}/$COLO_TOPO_PREFIX-created-$COLO_BR
    if test -e "$_colo_created"; then
        _colo_ports="$_colo_ports -- --if-exists del-br $COLO_BR"
    fi
    if test -n "$_colo_ports"; then
        ovs-vsctl --timeout=5 $_colo_ports >/dev/null 2>&1 || :
    fi
    rm -f "$_colo_created"

    # Veths (deleting one end deletes the other), then namespaces.
    for _colo_role in client pvm svm cap cmp; do
        test $_colo_role != svm || test -z "$COLO_TOPO_SVM_IFACE" || continue
        _colo_port=$(colo_topo_port $_colo_role)
        if ip link show "$_colo_port" >/dev/null 2>&1; then
            ip link del "$_colo_port" 2>/dev/null || :
        fi
    done
    for _colo_role in client pvm svm cmp; do
        _colo_ns=$(colo_topo_ns $_colo_role)
        if test -e "/run/netns/$_colo_ns"; then
            ip netns del "$_colo_ns" 2>/dev/null || :
        fi
    done
    return 0
}
