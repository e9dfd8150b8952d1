import type { SourcePos } from '../../errors.js';
import type { Diagnostics } from '../diagnostics.js';
import type { NotifyScripts } from '../vrrp.model.js';
import { type KeywordTable, type Stmt, valueLines } from './blocks.js';
import { intIn } from './values.js';

/** A track_* line before its defaults are known: weight unset means "the tracked object's". */
export interface RawTrackRef {
  name: string;
  weight?: number;
  reverse?: boolean;
  pos: SourcePos;
}

/** What instances and sync groups share: tracking blocks and notify scripts. */
export interface TrackingDraft {
  trackScripts: RawTrackRef[];
  trackInterfaces: RawTrackRef[];
  trackFiles: RawTrackRef[];
  notify: NotifyScripts;
}

export function emptyTracking(): TrackingDraft {
  return { trackScripts: [], trackInterfaces: [], trackFiles: [], notify: {} };
}

/**
 * `NAME [weight W [reverse|noreverse]]`. keepalived (vrrp_track.c) reads script and interface
 * weights in -254..254 and clamps ±254 to ±253 with a warning; track_file weights keep ±254.
 */
function trackLine(line: Stmt, kind: 'script' | 'interface' | 'file', diags: Diagnostics): RawTrackRef | undefined {
  const [name, option, value, direction, ...rest] = line.words;
  const ref: RawTrackRef = { name: name!, pos: line.pos };
  if (option === undefined) return ref;
  if (option !== 'weight' || value === undefined || rest.length > 0) {
    diags.error(line.pos, `track_${kind} ${name}: expected '${name} [weight W [reverse]]'`, 'HALO_E_CONFIG_SYNTAX');
    return undefined;
  }
  let weight = intIn(value, -254, 254, `track_${kind} ${name} weight`, line, diags);
  if (weight === undefined) return undefined;
  if (kind !== 'file' && Math.abs(weight) === 254) {
    diags.warn(
      line.pos,
      `track_${kind} ${name}: weight cannot be ±254; using ${weight > 0 ? 253 : -253}`,
      'HALO_W_CONFIG_ADJUSTED',
    );
    weight = weight > 0 ? 253 : -253;
  }
  ref.weight = weight;
  if (direction === 'reverse') ref.reverse = true;
  else if (direction === 'noreverse' || direction === 'no_reverse') ref.reverse = false;
  else if (direction !== undefined) {
    diags.error(line.pos, `track_${kind} ${name}: unknown weight option '${direction}'`, 'HALO_E_CONFIG_SYNTAX');
    return undefined;
  }
  return ref;
}

function trackBlock(
  kind: 'script' | 'interface' | 'file',
  pick: (d: TrackingDraft) => RawTrackRef[],
  diags: Diagnostics,
): KeywordTable<TrackingDraft>[string] {
  return {
    block: true,
    handle(stmt, draft) {
      if (stmt.words.length > 1)
        diags.error(stmt.pos, `track_${kind} takes no value before its block`, 'HALO_E_CONFIG_SYNTAX');
      const list = pick(draft);
      for (const line of valueLines(stmt, diags)) {
        const ref = trackLine(line, kind, diags);
        if (!ref) continue;
        // keepalived: "duplicate track_* NAME - ignoring"; the first one wins.
        if (list.some((r) => r.name === ref.name))
          diags.warn(line.pos, `duplicate track_${kind} ${ref.name}; ignored`, 'HALO_W_CONFIG_IGNORED');
        else list.push(ref);
      }
    },
  };
}

/**
 * `notify_* SCRIPT [user [group]]`: the script is one word (quote it to pass arguments).
 * halo runs notify scripts as its script user, so a per-script user is reported and dropped.
 */
function notifyKeyword(key: keyof NotifyScripts, diags: Diagnostics): KeywordTable<TrackingDraft>[string] {
  return {
    handle(stmt, draft) {
      const [keyword, command, ...user] = stmt.words;
      if (command === undefined || user.length > 2) {
        diags.error(stmt.pos, `${keyword} takes a script and an optional user and group`, 'HALO_E_CONFIG_SYNTAX');
        return;
      }
      if (draft.notify[key] !== undefined) {
        diags.warn(
          stmt.pos,
          `${keyword} already specified; ignored (keepalived keeps the first)`,
          'HALO_W_CONFIG_IGNORED',
        );
        return;
      }
      if (user.length > 0)
        diags.warn(
          stmt.pos,
          `${keyword}: per-script user '${user.join(' ')}' is not supported; runs as the script user`,
          'HALO_W_CONFIG_UNSUPPORTED',
        );
      draft.notify[key] = command;
    },
  };
}

/** Keywords that vrrp_instance and vrrp_sync_group both accept. */
export function trackingKeywords(diags: Diagnostics): KeywordTable<TrackingDraft> {
  return {
    track_script: trackBlock('script', (d) => d.trackScripts, diags),
    track_interface: trackBlock('interface', (d) => d.trackInterfaces, diags),
    track_file: trackBlock('file', (d) => d.trackFiles, diags),
    notify_master: notifyKeyword('master', diags),
    notify_backup: notifyKeyword('backup', diags),
    notify_fault: notifyKeyword('fault', diags),
    notify_stop: notifyKeyword('stop', diags),
    notify: notifyKeyword('generic', diags),
    notify_master_rx_lower_pri: {
      handle: (stmt) =>
        diags.warn(
          stmt.pos,
          'notify_master_rx_lower_pri is not supported by halo; ignored',
          'HALO_W_CONFIG_UNSUPPORTED',
        ),
    },
    smtp_alert: {
      handle: (stmt) =>
        diags.warn(
          stmt.pos,
          'smtp_alert is not supported by halo (use the event journal); ignored',
          'HALO_W_CONFIG_UNSUPPORTED',
        ),
    },
  };
}

/** The names in a value block, several to a line allowed (keepalived read_value_block). */
export function namesOf(stmt: Stmt, diags: Diagnostics): { name: string; pos: SourcePos }[] {
  return valueLines(stmt, diags).flatMap((line) => line.words.map((name) => ({ name, pos: line.pos })));
}
