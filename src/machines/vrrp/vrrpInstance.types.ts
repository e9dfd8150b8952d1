/**
 * The contract between the VRRP instance statechart and its wiring: input from config,
 * events from the world (already-validated adverts, tracker reports, link state, the sync
 * group), and the JSON-safe context that is journaled with every state change.
 */

export type VrrpStateName = 'initialize' | 'backup' | 'master' | 'fault' | 'stopped';

export interface TrackedInput {
  name: string;
  kind: 'script' | 'interface' | 'file';
  weight: number;
  reverse?: boolean;
}

export interface VrrpInstanceInput {
  name: string;
  vrid: number;
  version: 2 | 3;
  /** 1..255; 255 = address owner (never changed by trackers). */
  basePriority: number;
  /** Configured advert interval, centiseconds (v2 = seconds × 100). */
  advertIntervalCs: number;
  /** false = nopreempt. */
  preempt: boolean;
  /** preempt_delay, centiseconds (0 = none). */
  preemptDelayCs: number;
  initialState: 'MASTER' | 'BACKUP';
  /**
   * This node's address on the interface, for the equal-priority tie-break (RFC 5798 6.4.3: higher primary IP
   * wins).
   */
  primaryIp: string;
  trackers: TrackedInput[];
  /** garp_master_delay / garp_master_repeat / garp_master_refresh / garp_master_refresh_repeat. */
  garp: { delayCs: number; repeat: number; refreshCs: number; refreshRepeat: number };
  /** What a master does on hearing another master, as when a partition heals. */
  heal: HealSettings;
  /** The interface's link state at start (default up), so a dead link starts in Fault, not Backup. */
  linkUp?: boolean;
}

/**
 * A master that hears another master (keepalived vrrp.c vrrp_state_master_rx): both were master
 * while they could not hear each other, and clients may have been sent to either by GARP.
 */
export interface HealSettings {
  /** Answer a lower-priority advert with one of ours at once (keepalived: unless lower_prio_no_advert). */
  lowerPrioAdvert: boolean;
  /** GARPs per VIP sent at once on a lower-priority advert; 0 = none (garp_lower_prio_repeat). */
  lowerPrioGarpRepeat: number;
  /** A second burst this long after it, centiseconds; 0 = none (garp_lower_prio_delay). */
  lowerPrioGarpDelayCs: number;
  /** Send one advert of ours before yielding to a higher priority (higher_prio_send_advert). */
  higherPrioSendAdvert: boolean;
}

/** The last time this master heard another master: who, at what priorities, and what we sent. */
export interface SplitBrainRecord {
  peerIp: string;
  peerPriority: number;
  ourPriority: number;
  /** kept: the peer was lower and we stayed master; yielded: it was higher and we went backup. */
  outcome: 'kept' | 'yielded';
  /** An advert of ours went out in answer. */
  sentAdvert: boolean;
  /** GARPs per VIP sent at once, and the delay of the second burst (0 = none), centiseconds. */
  garpRepeat: number;
  garpDelayCs: number;
}

export type VrrpInstanceEvent =
  /** An advert for our VRID that already passed the receive checks. */
  | { type: 'ADVERT'; priority: number; srcIp: string; advertIntervalCs: number }
  /** A tracker's status (value: track_file's number). */
  | { type: 'TRACK'; name: string; ok: boolean; value?: number }
  /** The instance's own interface. */
  | { type: 'LINK'; up: boolean }
  /** Forced by its vrrp_sync_group. */
  | { type: 'SYNC'; state: 'master' | 'backup' | 'fault' }
  /** Graceful stop. */
  | { type: 'SHUTDOWN' };

/**
 * What the instance announces (xstate `emit`) each time the state it settles in, or whether a
 * fault of its own holds it, changes: what its sync group needs to hear. A member the group
 * holds in FAULT that develops a fault of its own keeps its state, so `ownFault` alone can
 * change.
 */
export type VrrpInstanceEmitted = { type: 'STATUS'; state: VrrpStateName; ownFault: boolean };

/**
 * The GARP announcer the instance invokes while master (the wiring provides it): started with
 * the first burst, asked for more by BURST, stopped, with whatever it still sends, on leaving
 * master. `repeat` is GARPs per VIP.
 */
export interface AnnouncerInput {
  repeat: number;
}
export type AnnouncerEvent = { type: 'BURST'; repeat: number };

/** Timers the instance raises to itself (xstate delays); never sent by the wiring. */
export type VrrpTimerEvent =
  | { type: 'ADVER_TIMER' }
  | { type: 'GARP_DELAY' }
  | { type: 'GARP_REFRESH' }
  | { type: 'LOWER_PRIO_GARP' }
  | { type: 'PREEMPT_DELAY_EXPIRED' };

/** A tracker as the instance sees it; `ok: null` until its first report. */
export interface TrackerStatus extends TrackedInput {
  ok: boolean | null;
  value?: number;
}

/**
 * keepalived's preempt_time: unset, running (a lower-priority master was heard and the delay
 * has not elapsed), or expired (lower-priority adverts are now ignored so we take over).
 */
export type PreemptDelayState = 'idle' | 'running' | 'expired';

export interface VrrpInstanceContext {
  name: string;
  vrid: number;
  version: 2 | 3;
  primaryIp: string;
  basePriority: number;
  effectivePriority: number;
  advertIntervalCs: number;
  /** RFC 5798 6.1 Master_Adver_Interval: learned from the master's adverts in v3, ours otherwise. */
  masterAdvertIntervalCs: number;
  preempt: boolean;
  preemptDelayCs: number;
  preemptDelay: PreemptDelayState;
  garp: VrrpInstanceInput['garp'];
  heal: HealSettings;
  /** Times another master was heard while master, and the last such exchange (journaled). */
  splitBrains: number;
  lastSplitBrain: SplitBrainRecord | null;
  trackers: TrackerStatus[];
  linkUp: boolean;
  /** Our own fault reasons (link down, failing weight-0 or -254 trackers). */
  faultReasons: string[];
  /** Held in FAULT by the sync group while another member is faulty. */
  syncFault: boolean;
  /** Last master heard (srcIp of the last advert), or null. */
  masterIp: string | null;
  masterPriority: number | null;
  /** The Master_Down_Timer armed on the last (re)entry to backup, ms. */
  downTimerMs: number;
  becameMaster: number;
  releasedMaster: number;
}
