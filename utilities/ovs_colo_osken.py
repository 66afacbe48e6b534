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

"""The colo_rewrite action for os-ken controllers.

ovs-colo's OpenFlow action colo_rewrite(zone=Z,primary|secondary) is a
Nicira vendor action, subtype 240 (NXAST_COLO_REWRITE), 24 bytes, laid out
as lib/ofp-colo.h documents:

    offset size field
         0    2 type            0xffff (OFPAT_VENDOR / OFPAT_EXPERIMENTER)
         2    2 len             24
         4    4 vendor          0x00002320 (Nicira)
         8    2 subtype         240
        10    1 direction       1 = primary, 2 = secondary
        11    1 pad             0
        12    4 zone_src        NXM/OXM header of the zone's field, or 0
        16    2 zone            zone_src == 0: the zone number;
                                otherwise (ofs << 6) | (16 - 1)
        18    6 pad2            0

os-ken (os_ken.ofproto.nx_actions) knows only upstream's Nicira subtypes.
Without this module it decodes a subtype-240 action as an opaque
NXActionUnknown and can send one only as NXActionUnknown(240, body) with a
body packed by hand.  Importing this module adds a class
NXActionColoRewrite to each os-ken parser that has Nicira actions (OpenFlow
1.0, 1.3, 1.4 and 1.5; os-ken has none for 1.2) and registers it for
subtype 240, so that flow-stats replies, flow-removed messages and so on
decode colo_rewrite into it.

Use it like os-ken's own Nicira actions:

    import ovs_colo_osken                      # registers the class

    parser = datapath.ofproto_parser
    actions = [parser.NXActionColoRewrite(zone=7),             # primary
               parser.OFPActionOutput(2)]
    actions = [parser.NXActionColoRewrite(zone=7, secondary=True),
               parser.OFPActionOutput(4)]
    # The zone taken from 16 bits of a field, here reg1[16..31]:
    actions = [parser.NXActionColoRewrite(zone_src='reg1', zone_ofs=16,
                                          secondary=True), ...]

or with ovs_colo_osken.colo_rewrite(datapath, zone=7, ...), which picks
the class of the datapath's OpenFlow version.

NXActionColoRewrite(zone=None, secondary=False, zone_src=None, zone_ofs=0)

    zone       the zone, 0 to 65535; None (the default) means 0, or, with
               zone_src, that the zone comes from the field.
    secondary  False: "primary", the packet goes from the primary side into
               the SVM; True: "secondary", the packet leaves the SVM.
    zone_src   None for a fixed zone, otherwise the field that holds the
               zone: an os-ken field name of the parser's OpenFlow version
               ('reg0' ... 'reg15', 'tcp_src', 'ct_zone', ...) or a 32-bit
               NXM/OXM header as an int.
    zone_ofs   the first of the 16 bits of zone_src that hold the zone.

The attributes have the same names (and 'primary', a read-only property,
is the opposite of 'secondary'); os-ken's to_jsondict() and from_jsondict()
carry them.  Decoding a reply gives zone=None when zone_src is set, and
zone_src as the os-ken name of the header that the switch sent (OVS sends
NXM headers: 'reg0', or 'tcp_src_nxm' for tcp_src), or as the header
itself if os-ken has no name for it, so that encoding the action again
gives the same bytes.  to_ofctl() gives the action in the style of
ovs-ofctl, with os-ken's field names, e.g. "colo_rewrite(zone=7,primary)"
or "colo_rewrite(zone=reg1[16..31],secondary)".  An action with subtype
240 that does not follow the layout (wrong length, a bad direction,
nonzero padding, a field range that is not 16 bits or not in the field)
decodes as os-ken's NXActionUnknown, so that the rest of the message
still decodes.

Run as a script, the module prints the bytes of each action given, in
hex, one a line, for checking against "ovs-ofctl parse-actions":

    python3 ovs_colo_osken.py [-O OpenFlow13] zone=7,primary \\
        'zone=reg1[16..31],secondary'
"""

import importlib
import re
import struct
import sys
import types

NX_VENDOR_ID = 0x00002320
NXAST_COLO_REWRITE = 240
COLO_PRIMARY = 1
COLO_SECONDARY = 2
ACTION_LEN = 24

# The 14 bytes after the subtype: direction, pad, zone_src, zone, pad2.
_BODY = struct.Struct('!BBIH6s')
assert 10 + _BODY.size == ACTION_LEN

# The os-ken parser modules that have Nicira actions (nx_actions.generate).
PARSER_MODULES = (
    'os_ken.ofproto.ofproto_v1_0_parser',
    'os_ken.ofproto.ofproto_v1_3_parser',
    'os_ken.ofproto.ofproto_v1_4_parser',
    'os_ken.ofproto.ofproto_v1_5_parser',
)

CLASS_NAME = 'NXActionColoRewrite'

_CLASSES = []                   # The classes install() made.


def _field_bits(header):
    """Width in bits of the value of the 32-bit NXM/OXM 'header'."""
    length = header & 0xff
    if header & 0x100:          # hasmask: value and mask.
        length //= 2
    return length * 8


class _AsIs(object):
    """A type description for os-ken's stringify: the value unchanged."""
    @staticmethod
    def encode(v):
        return v

    @staticmethod
    def decode(v):
        return v


def _make_class(ofp, ofpp):
    """Returns an NXActionColoRewrite class for parser module 'ofpp' (whose
    protocol module is 'ofp')."""

    def header_of(zone_src):
        """The 32-bit header of 'zone_src', a field name or a header."""
        if isinstance(zone_src, int) and not isinstance(zone_src, bool):
            if not 0 < zone_src <= 0xffffffff:
                raise ValueError('colo_rewrite: zone_src header %#x is not '
                                 'a 32-bit NXM/OXM header' % zone_src)
            return zone_src
        if not isinstance(zone_src, str):
            raise TypeError('colo_rewrite: zone_src must be a field name '
                            'or a header, not %r' % (zone_src,))
        try:
            n = ofp.oxm_from_user_header(zone_src)
        except KeyError:
            raise ValueError('colo_rewrite: unknown field %r in %s'
                             % (zone_src, ofp.__name__))
        buf = bytearray()
        ofp.oxm_serialize_header(n, buf, 0)
        if len(buf) != 4:
            raise ValueError('colo_rewrite: field %r has a %d-byte header; '
                             'zone_src takes only 4-byte NXM/OXM headers'
                             % (zone_src, len(buf)))
        return struct.unpack('!I', bytes(buf))[0]

    class NXActionColoRewrite(ofpp.NXAction):
        """colo_rewrite(zone=Z,primary|secondary), Nicira subtype 240.

        NXActionColoRewrite(zone=None, secondary=False, zone_src=None,
                            zone_ofs=0): see the module's documentation
        (ovs_colo_osken).
        """

        _subtype = NXAST_COLO_REWRITE

        def __init__(self, zone=None, secondary=False, zone_src=None,
                     zone_ofs=0, type_=None, len_=None, experimenter=None,
                     vendor=None, subtype=None):
            super(NXActionColoRewrite, self).__init__()
            if not isinstance(secondary, bool):
                raise TypeError('colo_rewrite: secondary must be True or '
                                'False, not %r' % (secondary,))
            if zone_src is None or zone_src == '':
                if zone is None:
                    zone = 0
                if (not isinstance(zone, int) or isinstance(zone, bool)
                        or not 0 <= zone <= 0xffff):
                    raise ValueError('colo_rewrite: zone %r is out of range '
                                     '(0 to 65535)' % (zone,))
                if zone_ofs:
                    raise ValueError('colo_rewrite: zone_ofs needs zone_src')
                zone_src = None
            else:
                if zone is not None:
                    raise ValueError('colo_rewrite: give zone or zone_src, '
                                     'not both')
                header = header_of(zone_src)
                if (not isinstance(zone_ofs, int) or zone_ofs < 0
                        or zone_ofs + 16 > _field_bits(header)):
                    raise ValueError('colo_rewrite: bits %r..%r are not in '
                                     'field %r (%d bits)'
                                     % (zone_ofs, zone_ofs + 15, zone_src,
                                        _field_bits(header)))
            self.zone = zone
            self.secondary = secondary
            self.zone_src = zone_src
            self.zone_ofs = zone_ofs

        @property
        def primary(self):
            return not self.secondary

        @classmethod
        def _get_type(cls, k):
            # For os-ken's to_jsondict() and from_jsondict(): zone_src, a
            # name or a header, goes into JSON as it is (os-ken would
            # base64-encode a name).
            if k == 'zone_src':
                return _AsIs
            return super(NXActionColoRewrite, cls)._get_type(k)

        @classmethod
        def parser(cls, buf):
            # 'buf' is what follows the subtype, up to the action's length.
            body = bytes(buf)
            if len(body) != _BODY.size:
                return ofpp.NXActionUnknown(NXAST_COLO_REWRITE, buf)
            direction, pad, src, zone, pad2 = _BODY.unpack(body)
            if (pad or pad2 != bytes(6)
                    or direction not in (COLO_PRIMARY, COLO_SECONDARY)):
                return ofpp.NXActionUnknown(NXAST_COLO_REWRITE, buf)
            secondary = direction == COLO_SECONDARY
            if not src:
                return cls(zone=zone, secondary=secondary)
            ofs, n_bits = zone >> 6, (zone & 0x3f) + 1
            if n_bits != 16 or (src >> 16) == 0xffff:
                # Not 16 bits, or an experimenter OXM class, whose header
                # would be 8 bytes.
                return ofpp.NXActionUnknown(NXAST_COLO_REWRITE, buf)
            # The field's os-ken name, if os-ken knows the header exactly
            # (its "field_N" names lose the length), otherwise the header.
            zone_src = src
            try:
                n, _ = ofp.oxm_parse_header(struct.pack('!I', src), 0)
                name = ofp.oxm_to_user_header(n)
                if (not name.startswith('field_')
                        and header_of(name) == src):
                    zone_src = name
            except (KeyError, ValueError, struct.error):
                pass
            try:
                return cls(zone_src=zone_src, zone_ofs=ofs,
                           secondary=secondary)
            except ValueError:
                # The bits are not within the field.
                return ofpp.NXActionUnknown(NXAST_COLO_REWRITE, buf)

        def serialize_body(self):
            if self.zone_src is None:
                src, zone = 0, self.zone
            else:
                src = header_of(self.zone_src)
                zone = (self.zone_ofs << 6) | (16 - 1)
            direction = COLO_SECONDARY if self.secondary else COLO_PRIMARY
            return bytearray(_BODY.pack(direction, 0, src, zone, bytes(6)))

        def to_ofctl(self):
            """The action in ovs-ofctl syntax."""
            if self.zone_src is None:
                zone = str(self.zone)
            else:
                name = self.zone_src
                if not isinstance(name, str):
                    name = '%#010x' % name
                zone = '%s[%d..%d]' % (name, self.zone_ofs,
                                       self.zone_ofs + 15)
            return 'colo_rewrite(zone=%s,%s)' % (
                zone, 'secondary' if self.secondary else 'primary')

    NXActionColoRewrite.__name__ = CLASS_NAME
    NXActionColoRewrite.__qualname__ = CLASS_NAME
    # os-ken's stringify (to_jsondict/from_jsondict, repr) finds classes by
    # name in their module, as nx_actions.generate() arranges for its own.
    NXActionColoRewrite.__module__ = ofpp.__name__
    return NXActionColoRewrite


def install():
    """Adds NXActionColoRewrite to each os-ken parser module in
    PARSER_MODULES and registers it for Nicira subtype 240.  Importing this
    module calls it; calling it again does nothing.  Raises RuntimeError if
    os-ken already has another class for subtype 240."""
    for name in PARSER_MODULES:
        ofpp = importlib.import_module(name)
        ofp = importlib.import_module(name[:-len('_parser')])
        # (os-ken's NXAction.register() does not check for duplicates.)
        have = ofpp.NXAction._subtypes.get(NXAST_COLO_REWRITE)
        if have is not None:
            if have is getattr(ofpp, CLASS_NAME, None):
                continue
            raise RuntimeError('os-ken already has %s for Nicira subtype %d'
                               % (have.__name__, NXAST_COLO_REWRITE))
        cls = _make_class(ofp, ofpp)
        setattr(ofpp, CLASS_NAME, cls)
        ofpp.NXAction.register(cls)
        _CLASSES.append(cls)


def action_class(parser):
    """The NXActionColoRewrite class of os-ken parser module 'parser' (a
    datapath's ofproto_parser).  Raises ValueError for an OpenFlow version
    in which os-ken has no Nicira actions (1.2)."""
    cls = getattr(parser, CLASS_NAME, None)
    if cls is None:
        raise ValueError('os-ken has no Nicira actions in %s'
                         % parser.__name__)
    return cls


def colo_rewrite(datapath, zone=None, secondary=False, zone_src=None,
                 zone_ofs=0):
    """A colo_rewrite action for 'datapath' (an os-ken Datapath, or a parser
    module), of the datapath's OpenFlow version."""
    if isinstance(datapath, types.ModuleType):
        parser = datapath
    else:
        parser = datapath.ofproto_parser
    return action_class(parser)(zone=zone, secondary=secondary,
                                zone_src=zone_src, zone_ofs=zone_ofs)


def is_colo_rewrite(action):
    """True if 'action' (a decoded os-ken action) is a colo_rewrite."""
    return isinstance(action, tuple(_CLASSES))


install()


def _parse_ofctl(text):
    """Keyword arguments of NXActionColoRewrite for the ovs-ofctl style
    arguments 'text' ("zone=7,primary", "zone=reg0[0..15],secondary")."""
    kwargs = {'secondary': False}
    for word in [w for w in text.split(',') if w]:
        if word in ('primary', 'secondary'):
            kwargs['secondary'] = word == 'secondary'
            continue
        m = re.match(r'zone=(?:(\d+)|(\w+)\[(\d+)\.\.(\d+)\])$', word)
        if not m:
            raise ValueError('cannot parse %r' % word)
        if m.group(1) is not None:
            kwargs['zone'] = int(m.group(1))
        else:
            ofs, end = int(m.group(3)), int(m.group(4))
            if end - ofs != 15:
                raise ValueError('%r is not 16 bits' % word)
            kwargs['zone_src'], kwargs['zone_ofs'] = m.group(2), ofs
    return kwargs


def main(argv):
    versions = {'OpenFlow10': 'os_ken.ofproto.ofproto_v1_0_parser',
                'OpenFlow13': 'os_ken.ofproto.ofproto_v1_3_parser',
                'OpenFlow14': 'os_ken.ofproto.ofproto_v1_4_parser',
                'OpenFlow15': 'os_ken.ofproto.ofproto_v1_5_parser'}
    version = 'OpenFlow13'
    if len(argv) >= 2 and argv[0] == '-O':
        version, argv = argv[1], argv[2:]
    if not argv or version not in versions:
        sys.stderr.write('usage: %s [-O OpenFlow1{0,3,4,5}] ARGS...\n'
                         'where each ARGS is zone=Z|zone=FIELD[a..b],'
                         'primary|secondary\n' % sys.argv[0])
        return 2
    parser = importlib.import_module(versions[version])
    for args in argv:
        try:
            action = colo_rewrite(parser, **_parse_ofctl(args))
        except (TypeError, ValueError) as e:
            sys.stderr.write('%s\n' % e)
            return 1
        buf = bytearray()
        action.serialize(buf, 0)
        decoded = parser.OFPAction.parser(bytes(buf), 0)
        if (not is_colo_rewrite(decoded)
                or decoded.to_ofctl() != action.to_ofctl()):
            sys.stderr.write('%s does not decode back: %r\n'
                             % (buf.hex(), decoded))
            return 1
        print(buf.hex())
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
