# ovs-colo's automake fragment, included by OVS's top-level Makefile.am
# (patches/build-*.patch).  The project's folders appear in the prepared OVS
# tree under colo/, as links to the project's source.

AM_CPPFLAGS += \
	-I $(top_srcdir)/colo/lib \
	-I $(top_srcdir)/colo/ofproto \
	-I $(top_srcdir)/colo/datapath-ext

# The release of the Open vSwitch tree being built, as one number, for the
# few places where upstream's interfaces differ (lib/colo-compat.h).
COLO_VERSION_H = colo/lib/colo-ovs-version.h
BUILT_SOURCES += $(COLO_VERSION_H)
CLEANFILES += $(COLO_VERSION_H)
$(COLO_VERSION_H): config.status
	$(AM_V_GEN)echo '$(PACKAGE_VERSION)' | $(AWK) -F. \
	    '{ printf "/* Generated from PACKAGE_VERSION, $(PACKAGE_VERSION). */\n"; \
	       printf "#define COLO_OVS_VERSION %d\n", \
	              $$1 * 10000 + $$2 * 100 + $$3 }' > $@.tmp
	$(AM_V_at)mv $@.tmp $@

lib_libopenvswitch_la_SOURCES += \
	colo/lib/colo-compat.h \
	colo/lib/colo-odp.c \
	colo/lib/colo-odp.h \
	colo/lib/colo-rewrite.c \
	colo/lib/colo-rewrite.h \
	colo/lib/colo-rewrite-cand.c \
	colo/lib/colo-rewrite-conn.c \
	colo/lib/colo-rewrite-pool.c \
	colo/lib/colo-rewrite-private.h \
	colo/lib/colo-rewrite-stats.c \
	colo/lib/colo-rewrite-tcp.c \
	colo/lib/ofp-colo.c \
	colo/lib/ofp-colo.h \
	colo/datapath-ext/colo-config.c \
	colo/datapath-ext/colo-config.h \
	colo/datapath-ext/colo-dpif-netdev.c \
	colo/datapath-ext/colo-dpif-netdev.h \
	colo/datapath-ext/colo-proxy-frame.c \
	colo/datapath-ext/colo-proxy-frame.h \
	colo/datapath-ext/colo-qmp.c \
	colo/datapath-ext/colo-qmp.h \
	colo/datapath-ext/netdev-colo-proxy.c \
	colo/datapath-ext/netdev-colo-proxy.h

ofproto_libofproto_la_SOURCES += \
	colo/ofproto/colo-xlate.c \
	colo/ofproto/colo-xlate.h

tests_ovstest_SOURCES += \
	colo/tests/test-colo-rewrite.c \
	colo/tests/test-colo-stress.c \
	colo/tests/test-colo-bench.c \
	colo/tests/test-colo-bench.h \
	colo/tests/test-colo-bench-cmp.c \
	colo/tests/test-colo-bench-pkt.c \
	colo/tests/test-colo-bench-table.c \
	colo/tests/test-colo-flood.c \
	colo/tests/test-colo-pool.c

TESTSUITE_AT += \
	colo/tests/colo-testsuite.at \
	colo/tests/colo-ofp.at \
	colo/tests/colo-dpif.at \
	colo/tests/colo-xlate.at \
	colo/tests/colo-ops.at \
	colo/tests/colo-proxy.at \
	colo/tests/colo-scripts.at \
	colo/tests/colo-qmp.at \
	colo/tests/colo-python.at \
	colo/tests/colo-osken.at

EXTRA_DIST += \
	colo/tests/colo-pkt.py \
	colo/tests/colo-proxy-peer.py \
	colo/tests/colo-qmp-server.py \
	colo/tests/test_colo_flow.py \
	colo/tests/colo-osken-app.py \
	colo/utilities/ovs_colo_osken.py

# The failover script, installed with the OVS programs.
bin_SCRIPTS += colo/utilities/ovs-colo-failover

# Documentation: ovs-colo(7), built from XML by OVS's xml2nroff rule, and the
# operator guide.
man_MANS += colo/Documentation/ovs-colo.7
CLEANFILES += colo/Documentation/ovs-colo.7
EXTRA_DIST += colo/Documentation/ovs-colo.7.xml
colodocdir = $(docdir)
colodoc_DATA = colo/Documentation/ovs-colo-operator-guide.rst

# System tests: real TCP stacks in network namespaces joined by a userspace
# bridge, run as root by "make check-colo-system" (as OVS's
# check-system-userspace runs its own), in their own testsuite built with
# OVS's system-userspace macros.
COLO_SYSTEM_TESTSUITE_AT = \
	colo/tests/system-colo-testsuite.at \
	colo/tests/system-colo.at \
	colo/tests/system-colo-tap.at \
	colo/tests/system-colo-qemu.at
COLO_SYSTEM_TESTSUITE = $(srcdir)/colo/tests/system-colo-testsuite
EXTRA_DIST += \
	$(COLO_SYSTEM_TESTSUITE_AT) \
	$(COLO_SYSTEM_TESTSUITE) \
	colo/tests/colo-tcp.py \
	colo/tests/colo-tap-reader.py \
	colo/utilities/colo-topology.sh \
	colo/utilities/colo-compare.py

# A tiny real guest under QEMU (TCG) with QEMU's COLO network filters, the
# peer of their sockets, and what was measured with them.
EXTRA_DIST += \
	colo/tests/colo-qemu.sh \
	colo/tests/colo-qemu-probe.sh \
	colo/tests/colo-qemu-peer.py \
	colo/tests/colo-qemu-facts.md

$(COLO_SYSTEM_TESTSUITE): package.m4 $(COLO_SYSTEM_TESTSUITE_AT) \
		$(COMMON_MACROS_AT) tests/system-common-macros.at \
		tests/system-userspace-macros.at
	$(AM_V_GEN)$(AUTOTEST) -I '$(srcdir)' -o $@.tmp $@.at
	$(AM_V_at)mv $@.tmp $@

check-colo-system: all $(COLO_SYSTEM_TESTSUITE)
	set $(SHELL) '$(COLO_SYSTEM_TESTSUITE)' -C tests AUTOTEST_PATH='$(AUTOTEST_PATH)'; \
	"$$@" $(TESTSUITEFLAGS) -j1 || (test X'$(RECHECK)' = Xyes && "$$@" --recheck)

CLEAN_LOCAL += clean-colo-system
clean-colo-system:
	test ! -f '$(COLO_SYSTEM_TESTSUITE)' || \
	    $(SHELL) '$(COLO_SYSTEM_TESTSUITE)' -C tests --clean

.PHONY: check-colo-system clean-colo-system
