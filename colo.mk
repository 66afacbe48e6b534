# ovs-colo's automake fragment, included by OVS's top-level Makefile.am
# (patches/0001).  The project's folders appear in the prepared OVS tree
# under colo/, as links to the project's source.

AM_CPPFLAGS += \
	-I $(top_srcdir)/colo/lib \
	-I $(top_srcdir)/colo/ofproto \
	-I $(top_srcdir)/colo/datapath-ext

lib_libopenvswitch_la_SOURCES += \
	colo/lib/colo-odp.c \
	colo/lib/colo-odp.h \
	colo/lib/colo-rewrite.c \
	colo/lib/colo-rewrite.h \
	colo/lib/ofp-colo.c \
	colo/lib/ofp-colo.h \
	colo/datapath-ext/colo-config.c \
	colo/datapath-ext/colo-config.h \
	colo/datapath-ext/colo-dpif-netdev.c \
	colo/datapath-ext/colo-dpif-netdev.h

ofproto_libofproto_la_SOURCES += \
	colo/ofproto/colo-xlate.c \
	colo/ofproto/colo-xlate.h

tests_ovstest_SOURCES += \
	colo/tests/test-colo-rewrite.c \
	colo/tests/test-colo-stress.c \
	colo/tests/test-colo-bench.c

TESTSUITE_AT += \
	colo/tests/colo-testsuite.at \
	colo/tests/colo-ofp.at \
	colo/tests/colo-dpif.at \
	colo/tests/colo-ops.at

EXTRA_DIST += colo/tests/colo-pkt.py

# Documentation: ovs-colo(7), built from XML by OVS's xml2nroff rule, and the
# operator guide.
man_MANS += colo/Documentation/ovs-colo.7
CLEANFILES += colo/Documentation/ovs-colo.7
EXTRA_DIST += colo/Documentation/ovs-colo.7.xml
colodocdir = $(docdir)
colodoc_DATA = colo/Documentation/ovs-colo-operator-guide.rst
