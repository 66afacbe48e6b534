# colo-sandbox.sh: a sandboxed Open vSwitch for the demo and the benchmarks.
#
# Sourced ("." in POSIX sh).  colo_sandbox_start DIR starts ovsdb-server
# and ovs-vswitchd (userspace datapath only) with their database, run
# directory and logs in DIR, which must exist, and exports the OVS_*
# variables that make ovs-vsctl, ovs-ofctl and ovs-appctl find them; the
# system's OVS, if any, is never touched.  colo_sandbox_stop DIR stops
# them and removes what their userspace datapath leaves behind (the br0
# and ovs-netdev taps); it does not remove DIR.  The OVS programs are taken
# from PATH.  Both return nonzero on failure and say what failed on
# stderr; neither exits the caller's shell.

colo_sandbox_start() {
    export OVS_RUNDIR="$1" OVS_LOGDIR="$1" OVS_DBDIR="$1" \
           OVS_SYSCONFDIR="$1" OVS_PKGDATADIR="$1"
    if ip link show ovs-netdev >/dev/null 2>&1; then
        echo "another userspace Open vSwitch runs on this host" \
             "(ovs-netdev exists); stop it first" >&2
        return 1
    fi
    _colo_sandbox_dir=$1
    if ! ovsdb-tool create "$1/conf.db" \
            "$(dirname "$(command -v ovs-vswitchd)")/vswitch.ovsschema"; then
        echo "could not create the sandbox's OVS database" >&2
        return 1
    fi
    if ! ovsdb-server --detach --no-chdir --pidfile --log-file \
            --remote="punix:$1/db.sock" "$1/conf.db" 2>/dev/null; then
        echo "could not start ovsdb-server; see $1/ovsdb-server.log" >&2
        return 1
    fi
    if ! ovs-vsctl --no-wait init; then
        echo "ovs-vsctl cannot reach ovsdb-server" >&2
        return 1
    fi
    if ! ovs-vswitchd --disable-system --detach --no-chdir --pidfile \
            --log-file 2>/dev/null; then
        echo "could not start ovs-vswitchd; see $1/ovs-vswitchd.log" >&2
        return 1
    fi
}

colo_sandbox_stop() {
    # Nothing to do (and another switch's taps to leave alone) if
    # colo_sandbox_start did not get as far as starting anything here.
    test "$_colo_sandbox_dir" = "$1" || return 0
    _colo_sandbox_dir=
    for _colo_daemon in ovs-vswitchd ovsdb-server; do
        if test -f "$1/$_colo_daemon.pid"; then
            _colo_pid=$(cat "$1/$_colo_daemon.pid")
            ovs-appctl -t "$1/$_colo_daemon.$_colo_pid.ctl" exit \
                    >/dev/null 2>&1 \
                || kill "$_colo_pid" 2>/dev/null || :
        fi
    done
    ip link del br0 >/dev/null 2>&1 || :
    ip link del ovs-netdev >/dev/null 2>&1 || :
}
