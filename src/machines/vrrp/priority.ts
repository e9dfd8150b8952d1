/**
 * Priority arithmetic and the election rule (pure), as keepalived's vrrp_track.c and
 * track_file.c apply them.
 */
import type { TrackedInput } from './vrrpInstance.types.js';

/** RFC 3768 5.3.4 / RFC 5798 5.2.4: 255 is the address owner; 1..254 for backups. */
export const PRIORITY_OWNER = 255;

/** keepalived clamps a track_file's contribution to [-254, 253]; -254 means FAULT. */
const FILE_FAULT = -254;
const FILE_MAX = 253;

export interface PriorityResult {
  priority: number;
  fault: boolean;
  reasons: string[];
}

type ReportedTracker = TrackedInput & { ok: boolean; value?: number };

/**
 * What one tracker adds to the priority, or 'fault'.
 * - script / interface, weight 0: FAULT while failing (reverse: while OK).
 * - weight > 0 adds the weight while OK; weight < 0 subtracts it while failing; `reverse`
 *   negates the adjustment (keepalived weight_multiplier = -1), it does not flip the status.
 * - track_file: the file's number × weight × (reverse ? -1 : 1), clamped to [-254, 253];
 *   -254 or below is FAULT. With weight 0 a non-zero number is FAULT (reverse: zero is).
 */
function contribution(t: ReportedTracker): number | 'fault' {
  const sign = t.reverse ? -1 : 1;
  if (t.kind === 'file') {
    const value = t.value ?? 0;
    if (t.weight === 0) return (value !== 0) === !t.reverse ? 'fault' : 0;
    const status = Math.max(FILE_FAULT, Math.min(FILE_MAX, value * t.weight * sign));
    return status <= FILE_FAULT ? 'fault' : status;
  }
  if (t.weight === 0) return t.ok === !!t.reverse ? 'fault' : 0;
  if (t.ok) return t.weight > 0 ? t.weight * sign : 0;
  return t.weight < 0 ? t.weight * sign : 0;
}

function trackerFaultReason(t: TrackedInput): string {
  return `track_${t.kind} ${t.name}`;
}

/**
 * keepalived vrrp_set_effective_priority: base + Σ contributions, clamped to 1..254; the
 * address owner (255) keeps 255 whatever its weighted trackers say, but still faults.
 */
export function effectivePriority(base: number, trackers: ReportedTracker[]): PriorityResult {
  let total = base;
  const reasons: string[] = [];
  for (const t of trackers) {
    const c = contribution(t);
    if (c === 'fault') reasons.push(trackerFaultReason(t));
    else total += c;
  }
  const priority = base === PRIORITY_OWNER ? PRIORITY_OWNER : Math.max(1, Math.min(PRIORITY_OWNER - 1, total));
  return { priority, fault: reasons.length > 0, reasons };
}

/** Dotted IPv4 as an unsigned 32-bit number (the io layer speaks IPv4 VRRP only). */
export function ipv4ToUint(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return Number.NaN;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

/**
 * RFC 3768 6.4.3 / RFC 5798 6.4.3: a master yields to an advert with a higher priority, or
 * the same priority from a higher primary IP address (compared as unsigned integers).
 */
export function advertWins(advertPriority: number, srcIp: string, localPriority: number, localIp: string): boolean {
  if (advertPriority !== localPriority) return advertPriority > localPriority;
  return ipv4ToUint(srcIp) > ipv4ToUint(localIp);
}

/**
 * The other side of advertWins: an advert a master outranks. An equal priority from our own
 * address (a looped-back or misconfigured peer) neither wins nor loses.
 */
export function advertLoses(advertPriority: number, srcIp: string, localPriority: number, localIp: string): boolean {
  if (advertPriority !== localPriority) return advertPriority < localPriority;
  return ipv4ToUint(srcIp) < ipv4ToUint(localIp);
}
