import { isIPv4, isIPv6 } from 'node:net';

export type AddressResult = { ok: true; host: string; port: number | null } | { ok: false; error: string };

/** Prefixes that force a family (configuration.txt 11.1); the others (unix@, fd@, …) are not TCP. */
const FAMILY_PREFIXES: Readonly<Record<string, 4 | 6 | 0>> = { 'ip@': 0, 'ipv4@': 4, 'ipv6@': 6 };

/**
 * Parses `[family@]host[:port]` as haproxy's str2sa_range does for TCP (configuration.txt 11):
 * for a bare IPv6 address the port is the number after the last colon; brackets (`[::1]:80`)
 * also work. `*`, `0.0.0.0` and an empty host mean IPv4 any when `anyHost` is allowed (bind).
 * Only IP literals are accepted: halo does not resolve host names at start-up.
 */
export function parseAddress(text: string, opts: { portRequired: boolean; anyHost: boolean }): AddressResult {
  let rest = text;
  let family: 4 | 6 | 0 = 0;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const prefix = rest.slice(0, at + 1);
    const forced = FAMILY_PREFIXES[prefix];
    if (forced === undefined)
      return { ok: false, error: `address '${text}': only TCP over IPv4/IPv6 is supported (no ${prefix})` };
    family = forced;
    rest = rest.slice(at + 1);
  }
  if (rest.startsWith('/')) return { ok: false, error: `address '${text}': UNIX sockets are not supported` };

  let host: string;
  let portText: string | null;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return { ok: false, error: `address '${text}': missing ']'` };
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '' && !after.startsWith(':'))
      return { ok: false, error: `address '${text}': unexpected '${after}' after ']'` };
    portText = after === '' ? null : after.slice(1);
  } else {
    const colon = rest.lastIndexOf(':');
    host = colon < 0 ? rest : rest.slice(0, colon);
    portText = colon < 0 ? null : rest.slice(colon + 1);
  }

  if (host === '' || host === '*') {
    if (!opts.anyHost) return { ok: false, error: `address '${text}': a server needs an IP address` };
    host = family === 6 ? '::' : '0.0.0.0';
  }
  const is4 = isIPv4(host);
  const is6 = isIPv6(host);
  if (!is4 && !is6)
    return {
      ok: false,
      error: `address '${text}': '${host}' is not an IPv4 or IPv6 address (host names are not resolved)`,
    };
  if ((family === 4 && !is4) || (family === 6 && !is6)) {
    return { ok: false, error: `address '${text}': '${host}' is not an IPv${family} address` };
  }
  if (!opts.anyHost && (host === '0.0.0.0' || host === '::')) {
    return { ok: false, error: `address '${text}': a server needs a specific IP address` };
  }

  if (portText === null || portText === '') {
    if (opts.portRequired) return { ok: false, error: `address '${text}': a port is required` };
    return { ok: true, host, port: null };
  }
  const port = parsePort(portText);
  if (port === null) {
    return {
      ok: false,
      error:
        `address '${text}': port '${portText}' is not a number in 1..65535 (ranges and +/- offsets are not ` +
        `supported)`,
    };
  }
  return { ok: true, host, port };
}

/** A TCP port 1..65535 in decimal, or null. */
export function parsePort(text: string): number | null {
  if (!/^[0-9]{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : null;
}
