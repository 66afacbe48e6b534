# Sourced by ovs-colo-check and ovs-colo-demo: installs the Debian packages
# that building and testing ovs-colo need, if any are missing.

colo_need_packages() {
    missing=
    for pkg in "$@"; do
        status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)
        case $status in
            *" installed") ;;
            *) missing="$missing $pkg" ;;
        esac
    done
    test -n "$missing" || return 0

    if test "$(id -u)" != 0 || ! command -v apt-get >/dev/null; then
        echo "$0: missing packages:$missing" >&2
        echo "$0: install them (as root: apt-get install$missing)" >&2
        exit 1
    fi
    echo "$0: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# What building and running the OVS testsuite needs.
COLO_BUILD_PACKAGES="gcc make autoconf automake libtool patch pkg-config
    python3 libssl-dev libcap-ng-dev openssl procps openvswitch-source"

# What the namespace tests and the demo need on top.
COLO_SYSTEM_PACKAGES="iproute2 ethtool tcpdump iperf3 netcat-openbsd"

# Configures (once) and builds ovs-colo in the source folder.
colo_build() {
    if test ! -x configure; then
        autoreconf --install >/dev/null
    fi
    if test ! -f Makefile; then
        ./configure -q
    fi
    make -j"$(nproc)" >colo-build.log 2>&1 || {
        tail -40 colo-build.log >&2
        echo "$0: build failed, see colo-build.log" >&2
        exit 1
    }
}
