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
  /** This node's address on the interface, for the equal-priority tie-break (RFC 5798 6.4.3: higher primary IP wins). */
  primaryIp: string;
  trackers: TrackedInput[];
  /** garp_master_delay / garp_master_repeat / garp_master_refresh / garp_master_refresh_repeat. */
  garp: { delayCs: number; repeat: number; refreshCs: number; refreshRepeat: number };
  /** The interface's link state at start (default up), so a dead link starts in Fault, not Backup. */
  linkUp?: boolean;
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

/** Timers the instance raises to itself (xstate delays); never sent by the wiring. */
export type VrrpTimerEvent =
  | { type: 'ADVER_TIMER' }
  | { type: 'GARP_DELAY' }
  | { type: 'GARP_REFRESH' }
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
