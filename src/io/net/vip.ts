/**
 * Virtual IPs through `ip addr` (execFile, no shell). Both directions are idempotent, as the
 * VRRP master/backup transitions need: adding an address that is already there, or deleting
 * one that is gone, is the state we wanted, not an error (keepalived ignores EEXIST/EADDRNOTAVAIL
 * from netlink the same way). The daemon runs inside the namespace it manages, so there is no
 * netns parameter here.
 */
import { execFile } from 'node:child_process';
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';
import { HaloError } from '../../errors.js';
import type { IpBatch, IpOutcome } from './ipBatch.js';

export interface VipSpec {
  address: string;
  prefix: number;
  dev: string;
  /** keepalived `label`, e.g. `eth0:1` (ifconfig-style alias name). */
  label?: string;
  brd?: string;
}

export interface InterfaceAddress {
  address: string;
  prefix: number;
  label?: string;
}

/** `ip -j addr show` entries, only the fields read here. */
interface IpJsonLink {
  addr_info?: Array<{ local?: string; prefixlen?: number; label?: string }>;
}

type IpFailure = Extract<IpOutcome, { ok: false }>;

/**
 * `ip` reports the kernel's netlink error as text: the errno string ("RTNETLINK answers: File
 * exists") or, on kernels with extended acks, their message ("Error: ipv4: Address already
 * assigned."). EEXIST on add and EADDRNOTAVAIL on delete are the two "already so" answers.
 */
const ALREADY_THERE = /File exists|Address already assigned/;
const NOT_THERE = /Cannot assign requested address|Address not found/;

/** With `batch`, the command goes to the daemon's long-lived `ip -batch` (no fork). */
export async function addVip(vip: VipSpec, batch?: IpBatch): Promise<void> {
  const args = ['addr', 'add', `${vip.address}/${vip.prefix}`, 'dev', vip.dev];
  if (vip.brd) args.push('brd', vip.brd);
  if (vip.label) args.push('label', vip.label);
  const outcome = await (batch ? batch.run(args) : ip(args));
  if (!outcome.ok && !ALREADY_THERE.test(outcome.stderr)) throw commandError('add', vip, args, outcome);
}

export async function delVip(vip: VipSpec, batch?: IpBatch): Promise<void> {
  const args = ['addr', 'del', `${vip.address}/${vip.prefix}`, 'dev', vip.dev];
  const outcome = await (batch ? batch.run(args) : ip(args));
  if (!outcome.ok && !NOT_THERE.test(outcome.stderr)) throw commandError('delete', vip, args, outcome);
}

/**
 * The interface's addresses, IPv4 first. os.networkInterfaces() answers without a fork (the
 * daemon's start waits on this), but libuv lists only interfaces that are up and running; any
 * other (down, absent, without an address) is asked of `ip`, which also says which it is.
 */
export async function listAddresses(dev: string): Promise<InterfaceAddress[]> {
  const listed = addressesOf(networkInterfaces(), dev);
  return listed.length > 0 ? listed : ipListAddresses(dev);
}

/**
 * `dev`'s addresses from os.networkInterfaces(), where an IPv4 address with a label of its own
 * (`eth0:1`) is listed under the label (getifaddrs names it so); IPv4 first, each name's in the
 * kernel's order. A label always begins with its device's name and a colon, which no interface
 * name contains.
 */
export function addressesOf(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>, dev: string): InterfaceAddress[] {
  const own = Object.entries(interfaces).flatMap(([name, infos]) =>
    name === dev || name.startsWith(`${dev}:`) ? (infos ?? []).map((info) => ({ name, info })) : [],
  );
  const v4 = own.filter((a) => a.info.family === 'IPv4');
  return [...v4, ...own.filter((a) => a.info.family !== 'IPv4')].flatMap(({ name, info }) => {
    const prefix = Number(info.cidr?.split('/')[1]);
    if (!Number.isInteger(prefix)) return [];
    return [{ address: info.address, prefix, ...(info.family === 'IPv4' ? { label: name } : {}) }];
  });
}

async function ipListAddresses(dev: string): Promise<InterfaceAddress[]> {
  const args = ['-j', 'addr', 'show', 'dev', dev];
  const outcome = await ip(args);
  if (!outcome.ok) {
    throw new HaloError(
      'HALO_E_NET_COMMAND',
      `ip ${args.join(' ')}: ${outcome.stderr.trim()}`,
      { dev, args },
      { cause: outcome.cause },
    );
  }
  const links = JSON.parse(outcome.stdout) as IpJsonLink[];
  return links.flatMap((link) =>
    (link.addr_info ?? []).flatMap((a) =>
      a.local === undefined || a.prefixlen === undefined
        ? []
        : [{ address: a.local, prefix: a.prefixlen, ...(a.label ? { label: a.label } : {}) }],
    ),
  );
}

/** An `ip addr` call that hangs this long is killed and counts as failed. */
const IP_TIMEOUT_MS = 10_000;

/** Runs `ip`; never rejects, so callers decide which failures mean "already so". */
function ip(args: string[]): Promise<IpOutcome> {
  return new Promise((resolve) => {
    execFile('ip', args, { timeout: IP_TIMEOUT_MS }, (err, stdout, stderr) => {
      resolve(err ? { ok: false, stderr: stderr || err.message, cause: err } : { ok: true, stdout });
    });
  });
}

function commandError(what: string, vip: VipSpec, args: string[], failure: IpFailure): HaloError {
  return new HaloError(
    'HALO_E_NET_COMMAND',
    `cannot ${what} VIP ${vip.address}/${vip.prefix} on ${vip.dev}: ${failure.stderr.trim()}`,
    { ...vip, args },
    { cause: failure.cause },
  );
}
