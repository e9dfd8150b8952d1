import type { GarpSettings, HealSettings } from '../vrrp.model.js';

/**
 * keepalived's defaults, each with where keepalived sets it (checked in current master and in
 * v2.2.7, the Debian build installed here), so a converted config behaves as it did under
 * keepalived. Times are already in the model's units.
 */
export const KEEPALIVED_DEFAULTS = {
  /** global_data.c set_vrrp_defaults: vrrp_version = VRRP_VERSION_2. */
  vrrpVersion: 2,
  /** keepalived.conf(5) vrrp_mcast_group4: the RFC 5798 §5.1.1.2 address 224.0.0.18. */
  mcastGroup4: '224.0.0.18',
  /** vrrp.h VRRP_GARP_DELAY (5 s), VRRP_GARP_REP 5, VRRP_GARP_REFRESH 0, VRRP_GARP_REFRESH_REP 1. */
  garp: { delayCs: 500, repeat: 5, refreshCs: 0, refreshRepeat: 1 } satisfies GarpSettings,
  /**
   * global_data.c: vrrp_lower_prio_no_advert false (a master answers a lower advert),
   * vrrp_higher_prio_send_advert false.
   */
  lowerPrioAdvert: true,
  higherPrioSendAdvert: false,
  /** vrrp.h VRRP_PRIO_DFL 100; vrrp.c vrrp_complete_instance uses 255 when state MASTER sets no priority. */
  priority: 100,
  ownerPriority: 255,
  /** vrrp.h VRRP_ADVER_DFL 1 s (RFC 3768 §5.3.7). */
  advertIntervalCs: 100,
  /** vrrp_data.c alloc_vrrp: preempt unless nopreempt; preempt_delay 0. */
  preempt: true,
  preemptDelayCs: 0,
  /** vrrp_track.h VRRP_SCRIPT_DI 1 s, VRRP_SCRIPT_DW 0; vrrp_data.c alloc_vrrp_script rise = fall = 1. */
  scriptIntervalMs: 1000,
  scriptWeight: 0,
  scriptRise: 1,
  scriptFall: 1,
  /** track_file.c track_file_handler: weight = 1. */
  trackFileWeight: 1,
  /** vrrp.h VRRP_AUTH_LEN: the password field is 8 octets (RFC 2338 §5.3.10). */
  authPassMax: 8,
} as const;

/**
 * Where halo's defaults differ from keepalived's, and why. After a partition heals, the node
 * whose GARPs clients heard last keeps them. keepalived's defaults recover only when the
 * lower-priority master speaks first (the higher one answers a lower advert with GARPs); when
 * the higher one speaks first, the lower one yields silently and clients stay on it for
 * seconds. Sending one advert before yielding makes the higher master hear the split brain and
 * re-announce in both orders, at the cost of one extra advert per takeover. Set
 * `higher_prio_send_advert off` to match keepalived exactly.
 */
export const HALO_DEFAULTS = {
  heal: {
    lowerPrioAdvert: KEEPALIVED_DEFAULTS.lowerPrioAdvert,
    higherPrioSendAdvert: true,
  } satisfies Partial<HealSettings>,
} as const;
