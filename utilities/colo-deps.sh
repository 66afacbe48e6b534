# Sourced by ovs-colo-check and ovs-colo-demo: installs the Debian packages
# that building and testing ovs-colo need, if any are missing, and builds.
#
# Nothing here fails silently: every failure prints one line, "PROGRAM:
# error: WHAT FAILED; WHAT TO DO", and exits non-zero.  The callers run
# under "set -e", so every command whose failure is expected is tested
# explicitly.

# colo_fail MESSAGE...
#
# Prints "PROGRAM: error: MESSAGE" on stderr and exits 1.
colo_fail() {
    echo "${0##*/}: error: $*" >&2
    exit 1
}

# colo_is_root
#
# Succeeds if we run as root.
colo_is_root() {
    test "$(id -u 2>/dev/null)" = 0
}

# colo_missing_packages PACKAGE...
#
# Prints those of the PACKAGEs that dpkg does not know as installed,
# including those it has never heard of.
colo_missing_packages() {
    _colo_missing=
    for _colo_pkg in "$@"; do
        _colo_status=$(dpkg-query -W -f='${Status}' "$_colo_pkg" \
                       2>/dev/null) || _colo_status=
        case $_colo_status in
            *" installed") ;;
            *) _colo_missing="$_colo_missing $_colo_pkg" ;;
        esac
    done
    echo $_colo_missing
}

# colo_need_packages PACKAGE...
#
# Installs the PACKAGEs that are missing, with apt-get, after "apt-get
# update".  Fails with one line if it cannot: not on a Debian system, not
# root, apt-get failing (no network to Debian's archive, a package that the
# archive does not have), or a package still missing after the install.
colo_need_packages() {
    command -v dpkg-query >/dev/null 2>&1 \
        || colo_fail "dpkg-query not found: this needs Debian 12 (or" \
                     "install by hand: $*)"
    missing=$(colo_missing_packages "$@")
    test -n "$missing" || return 0

    colo_is_root \
        || colo_fail "missing packages: $missing; run this as root to" \
                     "install them, or: apt-get install $missing"
    command -v apt-get >/dev/null 2>&1 \
        || colo_fail "missing packages: $missing, and apt-get is not" \
                     "found; install them by hand"

    colo_apt_log=${TMPDIR:-/tmp}/ovs-colo-apt.log
    echo "${0##*/}: installing $missing (log: $colo_apt_log)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >"$colo_apt_log" 2>&1 \
        || colo_fail "apt-get update failed (is Debian's archive" \
                     "reachable?); see $colo_apt_log"
    # "apt-get update" may warn and still exit 0 when the archive cannot
    # be reached; the install then names the package it cannot find.
    apt-get install -y -qq --no-install-recommends $missing \
            >>"$colo_apt_log" 2>&1 \
        || colo_fail "apt-get install $missing failed:" \
                     "$(grep -m1 '^E:' "$colo_apt_log" || echo \
                        "see $colo_apt_log")"
    missing=$(colo_missing_packages "$@")
    test -z "$missing" \
        || colo_fail "still missing after apt-get install: $missing;" \
                     "see $colo_apt_log"
}

# What building and running the OVS testsuite needs.
COLO_BUILD_PACKAGES="gcc make autoconf automake libtool patch pkg-config
    python3 libssl-dev libcap-ng-dev openssl procps openvswitch-source
    python3-pytest python3-netaddr python3-pyparsing python3-os-ken"

# What the namespace tests and the demo need on top.
COLO_SYSTEM_PACKAGES="iproute2 ethtool tcpdump iperf3 netcat-openbsd"

# What the system tests with a real QEMU need on top (tests/colo-qemu.sh);
# they also need a Debian kernel in /boot, and are skipped without one.
COLO_QEMU_PACKAGES="qemu-system-x86 busybox-static cpio kmod"

# What the test command's fuzzing (make fuzz) needs on top: clang with
# libFuzzer and the sanitizers' runtime, and llvm-cov for the coverage.
COLO_FUZZ_PACKAGES="clang libclang-rt-14-dev llvm"

# colo_build
#
# Configures (once) and builds ovs-colo in the source folder.  The output
# of each step goes to colo-build.log; a failing step prints its last lines
# and one line naming it.
colo_build() {
    colo_build_log=colo-build.log
    : >"$colo_build_log" \
        || colo_fail "cannot write $(pwd)/$colo_build_log"
    if test ! -x configure; then
        autoreconf --install >>"$colo_build_log" 2>&1 \
            || colo_build_failed "autoreconf --install"
    fi
    if test ! -f Makefile; then
        ./configure -q >>"$colo_build_log" 2>&1 \
            || colo_build_failed "./configure"
    fi
    make -j"$(nproc)" >>"$colo_build_log" 2>&1 \
        || colo_build_failed "make"
}

# colo_build_failed STEP
#
# Shows the end of the build log and fails naming STEP.
colo_build_failed() {
    tail -n 30 "$colo_build_log" >&2
    colo_fail "$1 failed; the whole output is in $(pwd)/$colo_build_log"
}
