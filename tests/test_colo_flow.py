# Copyright (c) 2026 The ovs-colo authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at:
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""Tests of the colo_rewrite action in OVS's Python flow parser.

Run with OVS's python/ directory on PYTHONPATH, in a tree that has the
patch "python: Parse the colo_rewrite action.":

    PYTHONPATH=OVS/python python3 -m pytest test_colo_flow.py

The flow strings are written as ovs-ofctl prints them (lib/ofp-colo.c
formats the action as colo_rewrite(zone=Z,primary|secondary), Z a number
or a field in NXM notation) and, where noted, as ovs-ofctl also accepts
them on input.
"""

import pytest

from ovs.flow.decoders import EthMask
from ovs.flow.kv import KeyValue, ParseError
from ovs.flow.ofp import OFPFlow


def check_section(flow_string, name, expected):
    """Checks that section 'name' ("info", "match" or "actions") of
    'flow_string' decodes to 'expected', a list of KeyValue, and that the
    positions recorded for the section and for each of its keys and values
    point at them in the flow string."""
    section = OFPFlow(flow_string).section(name)
    string = section.string
    assert flow_string[section.pos:section.pos + len(string)] == string

    assert [(kv.key, kv.value) for kv in section.data] == [
        (kv.key, kv.value) for kv in expected
    ]
    for kv in section.data:
        assert string.startswith(kv.meta.kstring, kv.meta.kpos)
        if kv.meta.vpos != -1:
            assert string.startswith(kv.meta.vstring, kv.meta.vpos)


def reg(name, start, end):
    return {"field": name, "start": start, "end": end}


@pytest.mark.parametrize(
    "input_string,expected",
    [
        # The zone as a number, at both ends of its range.
        (
            "actions=colo_rewrite(zone=5,primary)",
            [KeyValue("colo_rewrite", {"zone": 5, "primary": True})],
        ),
        (
            "actions=colo_rewrite(zone=5,secondary)",
            [KeyValue("colo_rewrite", {"zone": 5, "secondary": True})],
        ),
        (
            "actions=colo_rewrite(zone=0,primary)",
            [KeyValue("colo_rewrite", {"zone": 0, "primary": True})],
        ),
        (
            "actions=colo_rewrite(zone=65535,secondary)",
            [KeyValue("colo_rewrite", {"zone": 65535, "secondary": True})],
        ),
        # Input forms: ovs-ofctl also takes the zone in hex, the arguments
        # in any order, and no zone at all (zone 0, which ovs-ofctl then
        # prints as zone=0).  Only what is written is decoded.
        (
            "actions=colo_rewrite(zone=0x1f,secondary)",
            [KeyValue("colo_rewrite", {"zone": 31, "secondary": True})],
        ),
        (
            "actions=colo_rewrite(secondary,zone=7)",
            [KeyValue("colo_rewrite", {"secondary": True, "zone": 7})],
        ),
        (
            "actions=colo_rewrite(primary)",
            [KeyValue("colo_rewrite", {"primary": True})],
        ),
        (
            "actions=colo_rewrite(secondary)",
            [KeyValue("colo_rewrite", {"secondary": True})],
        ),
        # The zone from a 16-bit field, as ovs-ofctl prints it...
        (
            "actions=colo_rewrite(zone=NXM_NX_REG0[0..15],primary)",
            [
                KeyValue(
                    "colo_rewrite",
                    {"zone": reg("NXM_NX_REG0", 0, 15), "primary": True},
                )
            ],
        ),
        (
            "actions=colo_rewrite(zone=NXM_NX_REG1[16..31],secondary)",
            [
                KeyValue(
                    "colo_rewrite",
                    {"zone": reg("NXM_NX_REG1", 16, 31), "secondary": True},
                )
            ],
        ),
        (
            "actions=colo_rewrite(zone=NXM_OF_TCP_SRC[],secondary)",
            [
                KeyValue(
                    "colo_rewrite",
                    {"zone": {"field": "NXM_OF_TCP_SRC"}, "secondary": True},
                )
            ],
        ),
        # ...and as it may be written.
        (
            "actions=colo_rewrite(zone=reg0[0..15],secondary)",
            [
                KeyValue(
                    "colo_rewrite",
                    {"zone": reg("reg0", 0, 15), "secondary": True},
                )
            ],
        ),
        (
            "actions=colo_rewrite(primary,zone=reg1[16..31])",
            [
                KeyValue(
                    "colo_rewrite",
                    {"primary": True, "zone": reg("reg1", 16, 31)},
                )
            ],
        ),
        # Among other actions.
        (
            "actions=colo_rewrite(zone=5,primary),output:2",
            [
                KeyValue("colo_rewrite", {"zone": 5, "primary": True}),
                KeyValue("output", {"port": 2}),
            ],
        ),
        (
            "actions=colo_rewrite(zone=7,secondary),ct_clear,colo_rewrite(zone=8,primary)",  # noqa: E501
            [
                KeyValue("colo_rewrite", {"zone": 7, "secondary": True}),
                KeyValue("ct_clear", True),
                KeyValue("colo_rewrite", {"zone": 8, "primary": True}),
            ],
        ),
        (
            "actions=load:0x5->NXM_NX_REG0[0..15],colo_rewrite(zone=NXM_NX_REG0[0..15],secondary),ct(commit,zone=NXM_NX_REG0[0..15]),resubmit(,3)",  # noqa: E501
            [
                KeyValue(
                    "load", {"value": 5, "dst": reg("NXM_NX_REG0", 0, 15)}
                ),
                KeyValue(
                    "colo_rewrite",
                    {"zone": reg("NXM_NX_REG0", 0, 15), "secondary": True},
                ),
                KeyValue(
                    "ct",
                    {"commit": True, "zone": reg("NXM_NX_REG0", 0, 15)},
                ),
                KeyValue("resubmit", {"port": "", "table": 3}),
            ],
        ),
        (
            "actions=strip_vlan,colo_rewrite(zone=65535,secondary),mod_dl_src:00:11:22:33:44:55,IN_PORT",  # noqa: E501
            [
                KeyValue("strip_vlan", True),
                KeyValue("colo_rewrite", {"zone": 65535, "secondary": True}),
                KeyValue("mod_dl_src", EthMask("00:11:22:33:44:55")),
                KeyValue("output", {"port": "IN_PORT"}),
            ],
        ),
    ],
)
def test_colo_act(input_string, expected):
    check_section(input_string, "actions", expected)


@pytest.mark.parametrize(
    "input_string",
    [
        # Zones that ovs-ofctl rejects as neither a number nor a field.
        "actions=colo_rewrite(zone=abc,primary)",
        "actions=colo_rewrite(zone=foo[0..15],secondary)",
        # An argument that colo_rewrite does not have.
        "actions=colo_rewrite(zone=5,primary,ct_zone=5)",
    ],
)
def test_colo_act_bad(input_string):
    with pytest.raises(ParseError):
        OFPFlow(input_string)


@pytest.mark.parametrize(
    "zone",
    [
        "0",
        "5",
        "65535",
        "0x1f",
        "NXM_NX_REG0[0..15]",
        "NXM_NX_REG1[16..31]",
        "NXM_OF_UDP_DST[]",
        "reg2[0..15]",
    ],
)
def test_colo_zone_as_ct_zone(zone):
    """colo_rewrite's zone decodes as ct's zone does, on every release."""
    ct = OFPFlow("actions=ct(zone=%s)" % zone).actions[0]["ct"]["zone"]
    colo = OFPFlow("actions=colo_rewrite(zone=%s,primary)" % zone).actions
    assert colo == [{"colo_rewrite": {"zone": ct, "primary": True}}]


def reads_flow_stats():
    """Returns whether this ovs.flow decodes the statistics that
    "ovs-ofctl dump-flows" prints.  The one of OVS 3.1.0 does not: it has
    no decoder for n_packets (its table says "n_packet") or idle_age, so it
    fails on every such line, whatever its actions."""
    try:
        OFPFlow(" n_packets=0, idle_age=0, in_port=1 actions=drop")
    except ParseError:
        return False
    return True


needs_flow_stats = pytest.mark.skipif(
    not reads_flow_stats(),
    reason="this ovs.flow cannot decode n_packets and idle_age",
)


@pytest.mark.parametrize(
    "input_string,expected",
    [
        # "ovs-ofctl dump-flows br0" lines.
        pytest.param(
            " cookie=0x0, duration=12.345s, table=0, n_packets=3, n_bytes=180, idle_age=2, priority=100,tcp,in_port=1 actions=colo_rewrite(zone=5,primary),output:2",  # noqa: E501
            (
                [
                    KeyValue("cookie", 0),
                    KeyValue("duration", 12.345),
                    KeyValue("table", 0),
                    KeyValue("n_packets", 3),
                    KeyValue("n_bytes", 180),
                    KeyValue("idle_age", 2),
                ],
                [
                    KeyValue("priority", 100),
                    KeyValue("tcp", True),
                    KeyValue("in_port", 1),
                ],
                [
                    KeyValue("colo_rewrite", {"zone": 5, "primary": True}),
                    KeyValue("output", {"port": 2}),
                ],
            ),
            marks=needs_flow_stats,
        ),
        pytest.param(
            " cookie=0x2a, duration=0.021s, table=1, n_packets=0, n_bytes=0, idle_timeout=60, idle_age=0, in_port=2 actions=colo_rewrite(zone=NXM_NX_REG0[0..15],secondary),output:1",  # noqa: E501
            (
                [
                    KeyValue("cookie", 0x2a),
                    KeyValue("duration", 0.021),
                    KeyValue("table", 1),
                    KeyValue("n_packets", 0),
                    KeyValue("n_bytes", 0),
                    KeyValue("idle_timeout", 60),
                    KeyValue("idle_age", 0),
                ],
                [
                    KeyValue("in_port", 2),
                ],
                [
                    KeyValue(
                        "colo_rewrite",
                        {"zone": reg("NXM_NX_REG0", 0, 15), "secondary": True},
                    ),
                    KeyValue("output", {"port": 1}),
                ],
            ),
            marks=needs_flow_stats,
        ),
        # "ovs-ofctl --no-stats dump-flows br0" lines, which every release
        # decodes.
        (
            " cookie=0x2a, table=1, idle_timeout=60, priority=100,tcp,in_port=1 actions=colo_rewrite(zone=5,primary),output:2",  # noqa: E501
            (
                [
                    KeyValue("cookie", 0x2a),
                    KeyValue("table", 1),
                    KeyValue("idle_timeout", 60),
                ],
                [
                    KeyValue("priority", 100),
                    KeyValue("tcp", True),
                    KeyValue("in_port", 1),
                ],
                [
                    KeyValue("colo_rewrite", {"zone": 5, "primary": True}),
                    KeyValue("output", {"port": 2}),
                ],
            ),
        ),
        (
            " udp,in_port=6 actions=colo_rewrite(zone=NXM_OF_UDP_DST[],secondary),ct_clear,output:1",  # noqa: E501
            (
                [],
                [
                    KeyValue("udp", True),
                    KeyValue("in_port", 6),
                ],
                [
                    KeyValue(
                        "colo_rewrite",
                        {"zone": {"field": "NXM_OF_UDP_DST"},
                         "secondary": True},
                    ),
                    KeyValue("ct_clear", True),
                    KeyValue("output", {"port": 1}),
                ],
            ),
        ),
    ],
)
def test_colo_flow(input_string, expected):
    check_section(input_string, "info", expected[0])
    check_section(input_string, "match", expected[1])
    check_section(input_string, "actions", expected[2])
