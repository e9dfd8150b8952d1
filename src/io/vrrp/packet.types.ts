/**
 * The VRRP wire contract: what an advertisement carries (RFC 3768 5.1 for v2, RFC 5798 5.1 for
 * v3) and every reason a received one is thrown away. IPv4 only for now; addresses are strings
 * so IPv6 (VRRPv3 over IPv6, 16-byte addresses) can arrive without changing these shapes.
 */

export type VrrpVersion = 2 | 3;

/** IANA protocol number of VRRP (RFC 3768 5.2.4, RFC 5798 5.1.1.3). */
export const IPPROTO_VRRP = 112;
/** The only packet type either version defines (RFC 3768 5.3.2, RFC 5798 5.2.2). */
export const VRRP_TYPE_ADVERTISEMENT = 1;
/** A router sending anything else is not link-local (RFC 3768 5.2.3, RFC 5798 5.1.1.3). */
export const VRRP_TTL = 255;
/** IPv4 destination of every multicast advert (RFC 3768 5.2.2, RFC 5798 5.1.1.2). */
export const VRRP_MULTICAST_V4 = '224.0.0.18';

/** VRRPv2 Auth Type field (RFC 3768 5.3.6); type 2 (IP AH) is decoded but never accepted. */
export const VRRP_AUTH_NONE = 0;
export const VRRP_AUTH_PASS = 1;
/** Authentication Data is always 8 octets in v2 (RFC 3768 5.3.10). */
export const VRRP_AUTH_LEN = 8;

export interface Ipv4Header {
  ihl: number;
  tos: number;
  totalLength: number;
  id: number;
  ttl: number;
  protocol: number;
  checksum: number;
  src: string;
  dst: string;
}

export interface VrrpAdvert {
  version: VrrpVersion;
  type: number;
  vrid: number;
  priority: number;
  /** The VIPs listed in the advert. */
  addresses: string[];
  /** v2: Adver Int seconds ×100; v3: Max Adver Int (centiseconds). */
  advertIntervalCs: number;
  /** v2 only (0 none, 1 simple text PASS, 2 IP AH); 0 for v3. */
  authType: number;
  /**
   * v2 PASS text (≤ 8 bytes, trailing NULs stripped; decoded as latin1 so every byte survives
   * the round trip); '' otherwise.
   */
  authPass: string;
  checksum: number;
}

export interface VrrpPacket {
  ip: Ipv4Header;
  vrrp: VrrpAdvert;
}

/** What checkAdvert (receiveChecks.ts) needs to know about the receiving instance. */
export interface LocalInstance {
  version: VrrpVersion;
  vrid: number;
  /** v2 simple text password (auth_type PASS); absent for no authentication. Ignored in v3. */
  authPass?: string;
  advertIntervalCs: number;
  addresses: string[];
  /**
   * Drop adverts whose VIP list differs from ours (default true, keepalived's behaviour). false
   * accepts them and only reports addressMismatch. keepalived's `skip_check_adv_addr` skips the
   * check for an advert from the same master as the last one; the caller, which remembers the
   * master, can map that option onto this flag.
   */
  verifyAddresses?: boolean;
  /**
   * Unicast peers are configured (keepalived unicast_peer): adverts then arrive to a unicast
   * address and their TTL is not checked, since they may cross routers. Default false.
   */
  unicast?: boolean;
}

/**
 * Every reason a received packet is discarded, one word each. The first group is found by
 * decoding alone; the second needs the local instance (see receiveChecks.ts).
 */
export type DropReason =
  // decodeIpv4Packet
  | 'truncated' //    fewer bytes than the IPv4 header, the IP total length or the fixed VRRP header
  | 'bad_ip_header' // not IPv4, IHL < 5, or a bad IPv4 header checksum
  | 'not_vrrp' //     IP protocol is not 112 (keepalived's auth_type AH is not supported)
  | 'length' //       IP total length, bytes received and Count IP Addrs disagree
  | 'version' //      VRRP version is neither 2 nor 3, or not the instance's version
  | 'checksum' //     VRRP checksum does not verify
  // checkAdvert
  | 'vrid' //         the advert is for another virtual router (a dispatch error, see checkAdvert)
  | 'ttl' //          IPv4 TTL is not 255
  | 'type' //         not an ADVERTISEMENT
  | 'auth' //         v2 Auth Type or PASS text differs from the instance's
  | 'interval' //     v2 Adver Int differs from the instance's
  | 'addr_count' //   Count IP Addrs differs from the instance's VIP count
  | 'addr_list' //    one of the instance's VIPs is missing from the advert
  | 'destination'; // multicast advert to a unicast instance or the other way round
