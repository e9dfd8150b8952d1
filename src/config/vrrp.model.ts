import type { SourcePos } from '../errors.js';

/**
 * The VRRP side of a node's configuration, as halo runs it. Parsers (keepalived.conf today)
 * produce it with every default already applied, so the actors never guess a default.
 *
 * Units: VRRP timers are centiseconds (`...Cs`), the resolution of the RFC 5798 §5.2.7
 * Max Advertise Interval field; script timers are milliseconds (`...Ms`), keepalived's
 * resolution for vrrp_script. Everything is JSON-safe (no Map, no Date, no undefined in arrays).
 */
export interface VrrpConfig {
  globals: VrrpGlobals;
  scripts: VrrpScript[];
  trackFiles: VrrpTrackFile[];
  instances: VrrpInstanceConfig[];
  syncGroups: VrrpSyncGroup[];
}

export type VrrpVersion = 2 | 3;
export type VrrpInitialState = 'MASTER' | 'BACKUP';

/** Gratuitous ARP schedule after becoming master (keepalived's garp_master_*). */
export interface GarpSettings {
  /** Delay before the second burst of GARPs after becoming master; 0 = no second burst. */
  delayCs: number;
  /** GARPs per burst. */
  repeat: number;
  /** Interval of periodic GARP refresh while master; 0 = no refresh. */
  refreshCs: number;
  /** GARPs per refresh. */
  refreshRepeat: number;
}

/**
 * What a master does on hearing another master, as when a partition heals (keepalived's
 * lower_prio_no_advert, garp_lower_prio_*, higher_prio_send_advert).
 */
export interface HealSettings {
  /** Answer a lower-priority advert with ours at once (keepalived: not lower_prio_no_advert). */
  lowerPrioAdvert: boolean;
  /** GARPs per VIP sent at once on a lower-priority advert; 0 = none. */
  lowerPrioGarpRepeat: number;
  /** Delay of a second burst after it; 0 = none. */
  lowerPrioGarpDelayCs: number;
  /** Send one advert of ours before yielding to a higher priority. */
  higherPrioSendAdvert: boolean;
}

export interface ScriptUser {
  user: string;
  /** Defaults to the user's primary group when absent. */
  group?: string;
}

export interface VrrpGlobals {
  routerId?: string;
  /** Version for instances that do not set `version` (IPv6 instances always use 3). */
  vrrpVersion: VrrpVersion;
  /** IPv4 multicast destination of adverts (RFC 5798 §5.1.1.2: 224.0.0.18). */
  mcastGroup4: string;
  /** Defaults inherited by instances that do not set their own garp_master_*. */
  garp: GarpSettings;
  /**
   * The vrrp_* forms as given; each instance resolves what is unset, as keepalived's
   * vrrp_complete_init does once global_defs is read (the GARP ones then follow garp above).
   */
  heal: Partial<HealSettings>;
  scriptUser?: ScriptUser;
  enableScriptSecurity: boolean;
  /** Where global_defs starts, or line 1 of the main file when there is none. */
  pos: SourcePos;
}

export interface VrrpScript {
  name: string;
  /** The command line, outer quotes removed; run without a shell, as keepalived does. */
  command: string;
  intervalMs: number;
  /** keepalived treats an unset timeout as the interval (vrrp_scheduler.c); already applied. */
  timeoutMs: number;
  /** Priority change applied by tracking instances, -253..253; 0 = failure means FAULT. */
  weight: number;
  /** Apply the weight in the opposite direction (keepalived `weight W reverse`). */
  reverse: boolean;
  /** Consecutive successes before the script counts as up. */
  rise: number;
  /** Consecutive failures before the script counts as down. */
  fall: number;
  user?: ScriptUser;
  /** Start in the failed state instead of the succeeded one. */
  initFail: boolean;
  pos: SourcePos;
}

export interface VrrpTrackFile {
  name: string;
  path: string;
  /** Multiplier of the integer read from the file, -254..254 (keepalived default 1). */
  weight: number;
  reverse: boolean;
  /** `init_file [VALUE] [overwrite]`: create the file with VALUE at start. */
  init?: { value: number; overwrite: boolean };
  pos: SourcePos;
}

export interface VirtualAddress {
  /** The address as written (IPv4 dotted quad or IPv6). */
  address: string;
  /** Prefix length; keepalived defaults to a host prefix (/32 or /128). */
  prefix: number;
  dev?: string;
  label?: string;
  brd?: string;
  pos: SourcePos;
}

/** A tracked script, interface or file as referenced by an instance or sync group. */
export interface TrackRef {
  name: string;
  /** Effective weight: the reference's own, else the tracked object's default. */
  weight: number;
  reverse: boolean;
  pos: SourcePos;
}

/** Notify commands (keepalived notify_*); `generic` is `notify`, called with 4 extra args. */
export interface NotifyScripts {
  master?: string;
  backup?: string;
  fault?: string;
  stop?: string;
  generic?: string;
}

export interface VrrpAuth {
  type: 'none' | 'pass' | 'ah';
  /** At most 8 characters (RFC 2338 §5.3.10 authentication data); '' when type is none. */
  pass: string;
}

export interface VrrpInstanceConfig {
  name: string;
  interface: string;
  state: VrrpInitialState;
  /** Virtual Router Identifier, 1..255. */
  vrid: number;
  /** 1..255; 255 means address owner (RFC 5798 §5.2.4). */
  priority: number;
  /** Advertisement interval; whole seconds for v2 (RFC 3768 §5.3.7), 1..4095 cs for v3. */
  advertIntervalCs: number;
  version: VrrpVersion;
  preempt: boolean;
  preemptDelayCs: number;
  auth: VrrpAuth;
  vips: VirtualAddress[];
  /** Addresses added and removed with the VIPs but not carried in adverts. */
  excludedVips: VirtualAddress[];
  trackScripts: TrackRef[];
  trackInterfaces: TrackRef[];
  trackFiles: TrackRef[];
  /** Ignore faults of `interface` itself (keepalived dont_track_primary). */
  dontTrackPrimary: boolean;
  unicastSrcIp?: string;
  /** Unicast advert destinations; empty = multicast to globals.mcastGroup4. */
  unicastPeers: string[];
  garp: GarpSettings;
  heal: HealSettings;
  notify: NotifyScripts;
  /** Name of the sync group this instance belongs to, if any. */
  syncGroup?: string;
  pos: SourcePos;
}

export interface VrrpSyncGroup {
  name: string;
  /** Member instance names, in the order written. */
  instances: string[];
  trackScripts: TrackRef[];
  trackInterfaces: TrackRef[];
  trackFiles: TrackRef[];
  notify: NotifyScripts;
  /** keepalived sync_group_tracking_weight: members keep their tracking weights. */
  trackingWeight: boolean;
  pos: SourcePos;
}
