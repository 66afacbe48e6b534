#! /usr/bin/python3
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

"""colo-osken-app.py: an os-ken controller that programs colo_rewrite.

    colo-osken-app.py [-O OpenFlow13] [--port-file FILE] [--done-file FILE]
                      [--timeout SECS] [--stay] [--without-colo]

Runs os-ken's OpenFlow controller (its ofp_handler, which does the
handshake, and the app below) listening on 127.0.0.1 on a port the system
picks, and writes that port to --port-file, so that the switch can be
pointed at it:

    ovs-vsctl set-controller br0 tcp:127.0.0.1:$(cat FILE)

When a switch connects, in the OpenFlow version -O (OpenFlow10, 13, 14 or
15), the app deletes the switch's flows and installs, with the
NXActionColoRewrite of ovs_colo_osken (found next to this file, in
../utilities, or on PYTHONPATH):

    in_port=1,tcp  colo_rewrite(zone=7,primary),output:2
    in_port=3,tcp  colo_rewrite(zone=7,secondary),output:4
    in_port=5,tcp  set_field:7/0xffff->reg0,
                   colo_rewrite(zone=reg0[0..15],primary),output:6
    in_port=7,tcp  set_field:0x70000/0xffff0000->reg1,
                   colo_rewrite(zone=reg1[16..31],secondary),output:8

(with --without-colo, the same flows without colo_rewrite).  Then it sends
a barrier and a flow-stats request and prints, for each colo_rewrite action
decoded from the reply, one line, sorted by in_port:

    table=0 in_port=1 colo_rewrite zone=7 primary
    table=0 in_port=5 colo_rewrite zone=reg0[0..15] primary

A subtype-240 action that os-ken did not decode into NXActionColoRewrite is
printed as "table=T in_port=P undecoded subtype 240 ...".  Then the app
writes "done" to --done-file, if given, and exits 0, or, with --stay, stays
connected as the switch's controller until it is killed.  It exits 1 if no
switch has connected and answered within --timeout seconds (default 60), or
if the switch sent an OpenFlow error.  Log messages go to stderr.
"""

import argparse
import logging
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
for d in (HERE, os.path.join(HERE, '..', 'utilities')):
    if os.path.exists(os.path.join(d, 'ovs_colo_osken.py')):
        sys.path.insert(0, d)
        break

from os_ken.lib import hub                                      # noqa
hub.patch(thread=True)

from os_ken import cfg                                          # noqa
from os_ken.base import app_manager                             # noqa
from os_ken.controller import controller                        # noqa
from os_ken.controller import ofp_event                         # noqa
from os_ken.controller import ofp_handler                       # noqa
from os_ken.controller.handler import CONFIG_DISPATCHER         # noqa
from os_ken.controller.handler import MAIN_DISPATCHER           # noqa
from os_ken.controller.handler import set_ev_cls                # noqa
from os_ken.ofproto import ofproto_v1_0                         # noqa
from os_ken.ofproto import ofproto_v1_3                         # noqa
from os_ken.ofproto import ofproto_v1_4                         # noqa
from os_ken.ofproto import ofproto_v1_5                         # noqa

import ovs_colo_osken                                           # noqa

VERSIONS = {'OpenFlow10': ofproto_v1_0.OFP_VERSION,
            'OpenFlow13': ofproto_v1_3.OFP_VERSION,
            'OpenFlow14': ofproto_v1_4.OFP_VERSION,
            'OpenFlow15': ofproto_v1_5.OFP_VERSION}

# Set by main() before the app is instantiated.
OPTIONS = argparse.Namespace(version='OpenFlow13', without_colo=False)
FINISHED = hub.Event()
RESULT = {'replied': False, 'errors': 0}

ZONE = 7


def flows(parser):
    """(in_port, [actions]) of the flows to install."""
    colo = ovs_colo_osken.colo_rewrite
    # reg0[0..15] = 7 and reg1[16..31] = 7, as a masked set_field: before
    # OpenFlow 1.5 that is Nicira's NXAST_REG_LOAD2, in 1.5 the standard
    # OFPAT_SET_FIELD (OVS takes NXAST_REG_LOAD2 only before 1.5).
    if parser.__name__.endswith('v1_5_parser'):
        def load(reg, value, mask):
            return parser.OFPActionSetField(**{reg: (value, mask)})
    else:
        def load(reg, value, mask):
            return parser.NXActionRegLoad2(dst=reg, value=value, mask=mask)
    field_flows = [
        (5, [load('reg0', ZONE, 0xffff)],
         colo(parser, zone_src='reg0', zone_ofs=0), 6),
        (7, [load('reg1', ZONE << 16, 0xffff0000)],
         colo(parser, zone_src='reg1', zone_ofs=16, secondary=True), 8),
    ]
    result = []
    for in_port, pre, action, out_port in (
            [(1, [], colo(parser, zone=ZONE), 2),
             (3, [], colo(parser, zone=ZONE, secondary=True), 4)]
            + field_flows):
        actions = list(pre)
        if not OPTIONS.without_colo:
            actions.append(action)
        actions.append(parser.OFPActionOutput(out_port))
        result.append((in_port, actions))
    return result


class ColoOsKenApp(app_manager.OSKenApp):
    OFP_VERSIONS = [VERSIONS[OPTIONS.version]]

    def __init__(self, *args, **kwargs):
        super(ColoOsKenApp, self).__init__(*args, **kwargs)
        self.OFP_VERSIONS = [VERSIONS[OPTIONS.version]]

    def _match(self, dp, in_port):
        parser = dp.ofproto_parser
        if dp.ofproto.OFP_VERSION == ofproto_v1_0.OFP_VERSION:
            return parser.OFPMatch(in_port=in_port, dl_type=0x0800,
                                   nw_proto=6)
        return parser.OFPMatch(in_port=in_port, eth_type=0x0800, ip_proto=6)

    def _flow_mod(self, dp, command, match=None, actions=()):
        ofp, parser = dp.ofproto, dp.ofproto_parser
        if ofp.OFP_VERSION == ofproto_v1_0.OFP_VERSION:
            if match is None:
                match = parser.OFPMatch()
            return parser.OFPFlowMod(dp, match=match, cookie=0,
                                     command=command, idle_timeout=0,
                                     hard_timeout=0,
                                     priority=ofp.OFP_DEFAULT_PRIORITY,
                                     actions=list(actions))
        kwargs = {}
        if command == ofp.OFPFC_DELETE:
            kwargs = {'table_id': ofp.OFPTT_ALL, 'out_port': ofp.OFPP_ANY,
                      'out_group': ofp.OFPG_ANY}
        inst = [parser.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS,
                                             list(actions))]
        return parser.OFPFlowMod(dp, command=command, match=match,
                                 instructions=inst if actions else [],
                                 **kwargs)

    @set_ev_cls(ofp_event.EventOFPSwitchFeatures, CONFIG_DISPATCHER)
    def switch_features(self, ev):
        dp = ev.msg.datapath
        ofp, parser = dp.ofproto, dp.ofproto_parser
        self.logger.info('switch %#x connected, %s', dp.id, OPTIONS.version)
        dp.send_msg(self._flow_mod(dp, ofp.OFPFC_DELETE))
        for in_port, actions in flows(parser):
            dp.send_msg(self._flow_mod(dp, ofp.OFPFC_ADD,
                                       self._match(dp, in_port), actions))
        dp.send_msg(parser.OFPBarrierRequest(dp))
        if ofp.OFP_VERSION == ofproto_v1_0.OFP_VERSION:
            req = parser.OFPFlowStatsRequest(dp, 0, parser.OFPMatch(),
                                             0xff, ofp.OFPP_NONE)
        elif ofp.OFP_VERSION == ofproto_v1_5.OFP_VERSION:
            req = parser.OFPFlowDescStatsRequest(dp)
        else:
            req = parser.OFPFlowStatsRequest(dp)
        dp.send_msg(req)

    def _print_flows(self, body):
        lines = []
        for stat in body:
            match = stat.match
            if hasattr(match, 'in_port') and not hasattr(match, 'get'):
                in_port = match.in_port                 # OpenFlow 1.0
            else:
                in_port = match.get('in_port')
            if hasattr(stat, 'actions'):
                actions = stat.actions
            else:
                actions = [a for inst in stat.instructions
                           for a in getattr(inst, 'actions', [])]
            for a in actions:
                where = 'table=%d in_port=%s' % (stat.table_id, in_port)
                if ovs_colo_osken.is_colo_rewrite(a):
                    if a.zone_src is None:
                        zone = str(a.zone)
                    else:
                        zone = '%s[%d..%d]' % (a.zone_src, a.zone_ofs,
                                               a.zone_ofs + 15)
                    lines.append((in_port, '%s colo_rewrite zone=%s %s' % (
                        where, zone,
                        'secondary' if a.secondary else 'primary')))
                elif (getattr(a, 'subtype', None)
                      == ovs_colo_osken.NXAST_COLO_REWRITE):
                    lines.append((in_port, '%s undecoded subtype 240 %r'
                                  % (where, a)))
        for _, line in sorted(lines):
            print(line)
        sys.stdout.flush()

    def _reply(self, ev):
        self._print_flows(ev.msg.body)
        if ev.msg.flags:
            return                      # More replies follow.
        # The switch answers in order: any error for a flow_mod came before
        # the barrier, and so before this reply.
        RESULT['replied'] = True
        FINISHED.set()

    @set_ev_cls(ofp_event.EventOFPFlowStatsReply, MAIN_DISPATCHER)
    def flow_stats_reply(self, ev):
        self._reply(ev)

    @set_ev_cls(ofp_event.EventOFPFlowDescStatsReply, MAIN_DISPATCHER)
    def flow_desc_reply(self, ev):
        self._reply(ev)

    @set_ev_cls(ofp_event.EventOFPErrorMsg,
                [CONFIG_DISPATCHER, MAIN_DISPATCHER])
    def error(self, ev):
        msg = ev.msg
        sys.stderr.write('colo-osken-app: OpenFlow error type=%d code=%d '
                         'xid=%#x\n' % (msg.type, msg.code, msg.xid))
        RESULT['errors'] += 1


def _start_listener(self, port_file):
    """OFPHandler.start, but listening on a port that the system picks and
    that is written to 'port_file', instead of os-ken's fixed 6653 and
    6633."""
    app_manager.OSKenApp.start(self)
    server = hub.StreamServer(('127.0.0.1', 0),
                              controller.datapath_connection_factory)
    port = server.server.getsockname()[1]
    logging.getLogger('colo-osken-app').info('listening on 127.0.0.1:%d',
                                             port)
    if port_file:
        with open(port_file + '.tmp', 'w') as f:
            f.write('%d\n' % port)
        os.rename(port_file + '.tmp', port_file)
    return hub.spawn(server.serve_forever)


def main():
    p = argparse.ArgumentParser(description='os-ken controller that '
                                'installs colo_rewrite flows and reads '
                                'them back')
    p.add_argument('-O', dest='version', default='OpenFlow13',
                   choices=sorted(VERSIONS))
    p.add_argument('--port-file')
    p.add_argument('--done-file')
    p.add_argument('--timeout', type=float, default=60)
    p.add_argument('--stay', action='store_true')
    p.add_argument('--without-colo', action='store_true')
    args = p.parse_args()
    OPTIONS.version, OPTIONS.without_colo = args.version, args.without_colo
    ColoOsKenApp.OFP_VERSIONS = [VERSIONS[args.version]]

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format='%(name)s: %(message)s')
    cfg.CONF(args=[], project='os_ken')
    ofp_handler.OFPHandler.start = \
        lambda self: _start_listener(self, args.port_file)

    mgr = app_manager.AppManager.get_instance()
    mgr.load_apps(['os_ken.controller.ofp_handler', __name__])
    contexts = mgr.create_contexts()
    mgr.instantiate_apps(**contexts)
    if not FINISHED.wait(timeout=args.timeout):
        sys.stderr.write('colo-osken-app: no flow-stats reply within %g s\n'
                         % args.timeout)
    rc = 0 if RESULT['replied'] and not RESULT['errors'] else 1
    if args.done_file and rc == 0:
        with open(args.done_file, 'w') as f:
            f.write('done\n')
    if args.stay and rc == 0:
        sys.stdout.flush()
        hub.Event().wait()              # Until killed.
    # Closing the apps does not close the switch connections' green
    # threads, so leave without waiting for them.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc)


if __name__ == '__main__':
    main()
