/**
 * The receive checks of RFC 3768 7.1 / RFC 5798 7.1 that need the local instance, applied as
 * keepalived 2.2.7 applies them (keepalived/vrrp/vrrp.c, vrrp_check_packet) so a halo node and a
 * keepalived node in one virtual router accept and refuse the same adverts. Structure, lengths
 * and the checksum were already verified by decodeIpv4Packet.
 *
 * Dispatch: the daemon routes each decoded advert to the instance with its VRID, so a foreign
 * VRID is not an error of the instance (keepalived returns VRRP_PACKET_OTHER before these checks).
 * checkAdvert therefore expects only its own VRID; given another it answers 'vrid', which the
 * caller should treat as its own routing bug, not as a misbehaving peer.
 */
import { timingSafeEqual } from 'node:crypto';
import { authData } from './codec.js';
import {
  type DropReason,
  type LocalInstance,
  VRRP_AUTH_NONE,
  VRRP_AUTH_PASS,
  VRRP_TTL,
  VRRP_TYPE_ADVERTISEMENT,
  type VrrpPacket,
} from './packet.types.js';

export type { LocalInstance };

export type CheckResult = { ok: true; addressMismatch: boolean } | { ok: false; reason: DropReason; detail: string };

function drop(reason: DropReason, detail: string): CheckResult {
  return { ok: false, reason, detail };
}

/** 224.0.0.0/4 (IN_MULTICAST). */
function isMulticastV4(addr: string): boolean {
  const first = Number(addr.slice(0, addr.indexOf('.')));
  return first >= 224 && first <= 239;
}

/**
 * RFC 3768 7.1: auth type must match, then PASS text compared over all 8 octets (keepalived uses
 * a constant-time memcmp of auth_data). AH (type 2) is never configured here, so it never matches.
 * The detail never includes either password.
 */
function checkAuth(packet: VrrpPacket, local: LocalInstance): CheckResult | undefined {
  const { authType } = packet.vrrp;
  const localType = local.authPass === undefined ? VRRP_AUTH_NONE : VRRP_AUTH_PASS;
  if (authType !== localType) return drop('auth', `Auth Type ${authType}, expected ${localType}`);
  if (
    local.authPass !== undefined &&
    !timingSafeEqual(authData(packet.vrrp.authPass, 'latin1'), authData(local.authPass))
  ) {
    return drop('auth', 'PASS authentication data does not match');
  }
  return undefined;
}

/**
 * keepalived (vrrp_check_packet with check_vip_addr): Count IP Addrs must equal our VIP count,
 * then each of our VIPs must be in the advert; either failure is VRRP_PACKET_KO. RFC 3768 7.1
 * only says MAY verify and SHOULD log; we drop like keepalived for interop unless told not to.
 */
function checkAddresses(packet: VrrpPacket, local: LocalInstance): CheckResult {
  const received = packet.vrrp.addresses;
  const verify = local.verifyAddresses ?? true;
  if (received.length !== local.addresses.length) {
    if (verify)
      return drop('addr_count', `advert lists ${received.length} addresses, we have ${local.addresses.length}`);
    return { ok: true, addressMismatch: true };
  }
  const missing = local.addresses.find((addr) => !received.includes(addr));
  if (missing !== undefined && verify) return drop('addr_list', `our VIP ${missing} is not in the advert`);
  return { ok: true, addressMismatch: missing !== undefined };
}

/**
 * Decide whether a decoded advert counts for this instance, in keepalived's order: TTL, version,
 * v2 authentication and interval, type, multicast destination, addresses. (keepalived checks the
 * address count before the destination; only the reason reported for a packet failing both differs.)
 * Throws only if `local` itself is invalid (an auth_pass over 8 bytes), which config rejects.
 */
export function checkAdvert(packet: VrrpPacket, local: LocalInstance): CheckResult {
  const { ip, vrrp } = packet;
  if (vrrp.vrid !== local.vrid) return drop('vrid', `VRID ${vrrp.vrid} routed to the instance of VRID ${local.vrid}`);
  const unicast = local.unicast ?? false;
  // RFC 3768 7.1 / RFC 5798 7.1: MUST verify the IP TTL is 255. keepalived skips this for unicast
  // peers, whose adverts may be routed.
  if (!unicast && ip.ttl !== VRRP_TTL) return drop('ttl', `TTL ${ip.ttl}, expected ${VRRP_TTL}`);
  if (vrrp.version !== local.version)
    return drop('version', `VRRPv${vrrp.version} advert, instance runs v${local.version}`);
  if (vrrp.version === 2) {
    const authFailure = checkAuth(packet, local);
    if (authFailure) return authFailure;
    // RFC 3768 7.1: MUST discard if Adver Int differs from ours. v3 learns it instead (RFC 5798 6.4.2).
    if (vrrp.advertIntervalCs !== local.advertIntervalCs) {
      return drop('interval', `Adver Int ${vrrp.advertIntervalCs / 100} s, ours ${local.advertIntervalCs / 100} s`);
    }
  }
  // RFC 3768 5.3.2 / RFC 5798 5.2.2: a packet of unknown type MUST be discarded.
  if (vrrp.type !== VRRP_TYPE_ADVERTISEMENT) return drop('type', `type ${vrrp.type}, only ADVERTISEMENT (1) exists`);
  // keepalived: "Expected multicast packet but received unicast packet" and the reverse.
  if (isMulticastV4(ip.dst) === unicast) {
    return drop('destination', `sent to ${ip.dst}, expected a ${unicast ? 'unicast address' : 'multicast group'}`);
  }
  return checkAddresses(packet, local);
}
