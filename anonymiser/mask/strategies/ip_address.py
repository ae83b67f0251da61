"""Fake IP addresses: IPv4 into the private 10.0.0.0/8 block, IPv6 into the 2001:db8::/32
documentation prefix, so a fake never routes to a real host."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.fakes import join, number_text
from anonymiser.mask.material import Material
from anonymiser.mask.pseudonym import PseudonymStrategy
from anonymiser.mask.registry import register
from anonymiser.mask.textbuf import hex_strings


@register
class IpAddress(PseudonymStrategy):
    name = "ip_address"
    entity = "ip_address"
    normaliser = "email"           # trim + lower case
    summary = "keyed fake IP address (10.0.0.0/8, or 2001:db8::/32 for IPv6)"
    technique = "pseudonymisation"
    entities = ("IP_ADDRESS",)
    leak_class = "identifier"
    accepts = TEXT_KINDS
    # A fake address is a valid inet, a /32 cidr, a MariaDB INET4 (not an INET6: no plain IPv4 there).
    writes_syntax = frozenset({"inet", "cidr", "inet4"})

    def render(self, m: Material) -> pa.Array:
        h = m.h[:, 0]
        octets = [number_text(((h >> np.uint64(8 * i)) & np.uint64(0xFF)).astype(np.int64)) for i in range(3)]
        v4 = join("10", *octets, sep=".")
        hexes = hex_strings(m.h, 24)
        groups = [pc.utf8_slice_codeunits(hexes, 4 * i, 4 * i + 4) for i in range(6)]
        v6 = join("2001:db8", *groups, sep=":")
        is_v6 = pc.fill_null(pc.match_substring(m.norm, ":"), False)
        return pc.if_else(is_v6, v6, v4)
