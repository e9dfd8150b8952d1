import type { Diagnostics } from '../diagnostics.js';
import type { HealSettings, VrrpGlobals, VrrpInstanceConfig } from '../vrrp.model.js';
import { HALO_DEFAULTS, KEEPALIVED_DEFAULTS } from './defaults.js';
import type { InstanceDraft } from './vrrpInstance.js';

/** A finished instance whose track refs still await the script / file defaults (resolve.ts). */
export type CompletedInstance = Omit<VrrpInstanceConfig, 'trackScripts' | 'trackInterfaces' | 'trackFiles'> & {
  draft: InstanceDraft;
};

/** RFC 5798 §5.2.7: the v3 interval field is 12 bits of centiseconds (max 40.95 s). */
const V3_MAX_ADVERT_CS = 4095;

/**
 * Resolves one instance's defaults and cross-field rules the way keepalived's
 * vrrp.c vrrp_complete_instance does, with the same warnings; what keepalived cannot run
 * (no VRID, no interface) is an error. Returns undefined when the instance is unusable.
 */
export function completeInstance(
  d: InstanceDraft,
  globals: VrrpGlobals,
  diags: Diagnostics,
): CompletedInstance | undefined {
  const tag = `(${d.name})`;
  const families = new Set(d.vips.map((v) => (v.address.includes(':') ? 6 : 4)));
  if (families.size > 1)
    diags.error(
      d.vips[0]!.pos,
      `${tag} virtual_ipaddress mixes IPv4 and IPv6; use virtual_ipaddress_excluded for the other family`,
    );
  const ipv6 = families.has(6);

  // IPv6 instances always run VRRPv3 (keepalived.conf(5) `version`); others default to global vrrp_version.
  const version = d.version ?? (ipv6 ? 3 : globals.vrrpVersion);
  if (ipv6 && version === 2)
    diags.error(d.pos, `${tag} VRRP version 2 cannot carry IPv6 addresses (RFC 3768); use version 3`);

  // "If no priority has been set, derive it from the initial state"; then the state from the priority.
  const priority =
    d.priority ?? (d.state === 'MASTER' ? KEEPALIVED_DEFAULTS.ownerPriority : KEEPALIVED_DEFAULTS.priority);
  let state = d.state ?? (priority === KEEPALIVED_DEFAULTS.ownerPriority ? 'MASTER' : 'BACKUP');

  const auth = { ...d.auth };
  const authPos = d.authPos ?? d.pos;
  if (auth.type !== 'none') {
    if (version === 3) {
      diags.warn(authPos, `${tag} VRRP version 3 does not support authentication; ignored`, 'HALO_W_CONFIG_ADJUSTED');
      auth.type = 'none';
    } else if (auth.pass === '') {
      diags.warn(
        authPos,
        `${tag} authentication specified but no password given; ignored`,
        'HALO_W_CONFIG_INEFFECTIVE',
      );
      auth.type = 'none';
    } else if (auth.type === 'ah' && state === 'MASTER' && priority !== KEEPALIVED_DEFAULTS.ownerPriority) {
      // An AH master needs a received advert's sequence number before it may take over.
      diags.warn(
        authPos,
        `${tag} initial state MASTER is incompatible with AH authentication; starting as BACKUP`,
        'HALO_W_CONFIG_ADJUSTED',
      );
      state = 'BACKUP';
    }
  }
  if (auth.type === 'none') auth.pass = '';

  if (d.unicastPos && d.unicastPeers.length === 0) {
    diags.warn(
      d.unicastPos,
      `${tag} a unicast keyword was given without any unicast peers; using multicast (deprecated in keepalived)`,
      'HALO_W_CONFIG_DEPRECATED',
    );
  }

  let preempt = d.nopreemptPos === undefined;
  if (!preempt && priority === KEEPALIVED_DEFAULTS.ownerPriority) {
    diags.warn(
      d.nopreemptPos!,
      `${tag} nopreempt is incompatible with priority 255; resetting nopreempt`,
      'HALO_W_CONFIG_ADJUSTED',
    );
    preempt = true;
  }
  let preemptDelayCs = d.preemptDelayCs;
  if (state === 'MASTER') {
    // The RFC's Initialize state sends an advert at once as master, so there is nothing to not preempt.
    if (!preempt)
      diags.warn(
        d.nopreemptPos!,
        `${tag} nopreempt will not work with initial state MASTER; clearing nopreempt`,
        'HALO_W_CONFIG_ADJUSTED',
      );
    preempt = true;
    if (preemptDelayCs > 0)
      diags.warn(
        d.preemptDelayPos!,
        `${tag} preempt_delay will not work with initial state MASTER; clearing`,
        'HALO_W_CONFIG_ADJUSTED',
      );
    preemptDelayCs = 0;
  } else if (!preempt && preemptDelayCs > 0) {
    diags.warn(
      d.preemptDelayPos!,
      `${tag} preempt_delay is incompatible with nopreempt; resetting`,
      'HALO_W_CONFIG_ADJUSTED',
    );
    preemptDelayCs = 0;
  }

  const advertIntervalCs = advertCs(d, version, tag, diags);

  let ok = true;
  if (d.vrid === undefined) {
    diags.error(d.pos, `${tag} virtual_router_id must be set`);
    ok = false;
  }
  if (d.interface === undefined) {
    diags.error(d.pos, `${tag} interface must be set`);
    ok = false;
  }
  if (d.vips.length === 0) {
    if (version === 3) diags.error(d.pos, `${tag} no virtual_ipaddress; VRRPv3 needs at least one (RFC 5798 §5.2.5)`);
    else diags.warn(d.pos, `${tag} no virtual_ipaddress; at least one is sensible`, 'HALO_W_CONFIG_INEFFECTIVE');
  }
  if (!ok) return undefined;

  return {
    name: d.name,
    interface: d.interface!,
    state,
    vrid: d.vrid!,
    priority,
    advertIntervalCs,
    version,
    preempt,
    preemptDelayCs,
    auth,
    vips: d.vips,
    excludedVips: d.excludedVips,
    dontTrackPrimary: d.dontTrackPrimary,
    ...(d.unicastSrcIp === undefined ? {} : { unicastSrcIp: d.unicastSrcIp }),
    unicastPeers: d.unicastPeers,
    garp: d.garp,
    heal: completeHeal(d, globals),
    notify: d.notify,
    pos: d.pos,
    draft: d,
  };
}

/**
 * keepalived vrrp_complete_instance: the instance's own setting, else the global one; the global
 * GARP ones default to the global garp_master_repeat / garp_master_delay (vrrp_complete_init).
 */
function completeHeal(d: InstanceDraft, globals: VrrpGlobals): HealSettings {
  const own = d.heal;
  const g = globals.heal;
  return {
    lowerPrioAdvert: own.lowerPrioAdvert ?? g.lowerPrioAdvert ?? HALO_DEFAULTS.heal.lowerPrioAdvert,
    lowerPrioGarpRepeat: own.lowerPrioGarpRepeat ?? g.lowerPrioGarpRepeat ?? globals.garp.repeat,
    lowerPrioGarpDelayCs: own.lowerPrioGarpDelayCs ?? g.lowerPrioGarpDelayCs ?? globals.garp.delayCs,
    higherPrioSendAdvert: own.higherPrioSendAdvert ?? g.higherPrioSendAdvert ?? HALO_DEFAULTS.heal.higherPrioSendAdvert,
  };
}

/**
 * v2 carries whole seconds (RFC 3768 §5.3.7): keepalived rounds to the nearest second (min 1)
 * with a warning. v3 carries centiseconds up to 40.95 s: rounded or clamped with a warning.
 */
function advertCs(d: InstanceDraft, version: 2 | 3, tag: string, diags: Diagnostics): number {
  if (d.advertUs === undefined) return KEEPALIVED_DEFAULTS.advertIntervalCs;
  const us = d.advertUs;
  const pos = d.advertPos!;
  if (version === 2) {
    if (us % 1_000_000 === 0) return us / 10_000;
    const seconds = Math.max(1, Math.round(us / 1_000_000));
    diags.warn(
      pos,
      `${tag} VRRPv2 advert_int ${us / 1e6}s must be an integer; rounding to ${seconds}s`,
      'HALO_W_CONFIG_ADJUSTED',
    );
    return seconds * 100;
  }
  if (us >= (V3_MAX_ADVERT_CS + 1) * 10_000) {
    diags.warn(
      pos,
      `${tag} VRRPv3 advert_int ${us / 1e6}s is out of range; must be less than 40.96s, using 40.95s`,
      'HALO_W_CONFIG_ADJUSTED',
    );
    return V3_MAX_ADVERT_CS;
  }
  if (us % 10_000 === 0) return us / 10_000;
  const cs = Math.min(V3_MAX_ADVERT_CS, Math.max(1, Math.round(us / 10_000)));
  diags.warn(
    pos,
    `${tag} VRRPv3 advert_int ${us / 1e6}s must be in units of 10ms; rounding to ${cs / 100}s`,
    'HALO_W_CONFIG_ADJUSTED',
  );
  return cs;
}
