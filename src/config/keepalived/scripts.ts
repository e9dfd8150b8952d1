import type { Diagnostics } from '../diagnostics.js';
import type { ScriptUser, VrrpScript, VrrpTrackFile } from '../vrrp.model.js';
import { dispatch, type KeywordTable, type Stmt } from './blocks.js';
import { KEEPALIVED_DEFAULTS } from './defaults.js';
import { intIn, noArgs, oneArg, secondsIn } from './values.js';

/** keepalived reads script timers in ms, up to (UINT_MAX / TIMER_HZ) s (vrrp_parser.c). */
const SCRIPT_TIMER_MAX_MS = 4294 * 1000;

interface ScriptDraft extends Omit<VrrpScript, 'command' | 'timeoutMs'> {
  command?: string;
  timeoutMs?: number;
}

/** interval/timeout: seconds with ms resolution; 0 was allowed before keepalived 2.0.7 and means 1 s. */
function scriptTimer(key: 'intervalMs' | 'timeoutMs', diags: Diagnostics): KeywordTable<ScriptDraft>[string] {
  return {
    handle(stmt, draft) {
      const ms = secondsIn(
        oneArg(stmt, diags),
        3,
        0,
        SCRIPT_TIMER_MAX_MS,
        `vrrp_script ${draft.name} ${stmt.words[0]}`,
        stmt,
        diags,
      );
      if (ms === undefined) return;
      if (ms === 0)
        diags.warn(
          stmt.pos,
          `vrrp_script ${draft.name} ${stmt.words[0]} must be greater than 0, setting to 1 s`,
          'HALO_W_CONFIG_ADJUSTED',
        );
      draft[key] = ms === 0 ? 1000 : ms;
    },
  };
}

function counter(key: 'rise' | 'fall', diags: Diagnostics): KeywordTable<ScriptDraft>[string] {
  return {
    handle(stmt, draft) {
      const n = intIn(oneArg(stmt, diags), 1, 2 ** 31 - 1, `vrrp_script ${draft.name} ${key}`, stmt, diags);
      if (n !== undefined) draft[key] = n;
    },
  };
}

export function userOf(stmt: Stmt, diags: Diagnostics): ScriptUser | undefined {
  const [keyword, user, group, ...rest] = stmt.words;
  if (user === undefined || rest.length > 0) {
    diags.error(stmt.pos, `${keyword} takes a user and an optional group`, 'HALO_E_CONFIG_SYNTAX');
    return undefined;
  }
  return group === undefined ? { user } : { user, group };
}

function scriptKeywords(diags: Diagnostics): KeywordTable<ScriptDraft> {
  return {
    // The whole rest of the line is the command: `script "killall -0 haproxy"` or `script /bin/chk arg`.
    script: {
      handle(stmt, draft) {
        if (stmt.words.length < 2)
          diags.error(stmt.pos, `vrrp_script ${draft.name}: script needs a command`, 'HALO_E_CONFIG_SYNTAX');
        else draft.command = stmt.words.slice(1).join(' ');
      },
    },
    interval: scriptTimer('intervalMs', diags),
    timeout: scriptTimer('timeoutMs', diags),
    weight: {
      handle(stmt, draft) {
        const [, value, option, ...rest] = stmt.words;
        const weight = intIn(value, -253, 253, `vrrp_script ${draft.name} weight`, stmt, diags);
        if (value === undefined || rest.length > 0 || (option !== undefined && option !== 'reverse')) {
          diags.error(stmt.pos, `vrrp_script ${draft.name}: expected 'weight W [reverse]'`, 'HALO_E_CONFIG_SYNTAX');
          return;
        }
        if (weight === undefined) return;
        draft.weight = weight;
        draft.reverse = option === 'reverse';
      },
    },
    rise: counter('rise', diags),
    fall: counter('fall', diags),
    user: {
      handle(stmt, draft) {
        const user = userOf(stmt, diags);
        if (user) draft.user = user;
      },
    },
    init_fail: {
      handle(stmt, draft) {
        if (noArgs(stmt, diags)) draft.initFail = true;
      },
    },
  };
}

/** The name of a `KIND NAME { ... }` section, or undefined (with an error) when missing. */
export function sectionName(stmt: Stmt, diags: Diagnostics): string | undefined {
  if (stmt.words.length === 2) return stmt.words[1];
  diags.error(stmt.pos, `${stmt.words[0]} must have exactly one name`, 'HALO_E_CONFIG_SYNTAX');
  return undefined;
}

export function parseVrrpScript(stmt: Stmt, diags: Diagnostics): VrrpScript | undefined {
  const name = sectionName(stmt, diags);
  if (name === undefined) return undefined;
  const draft: ScriptDraft = {
    name,
    intervalMs: KEEPALIVED_DEFAULTS.scriptIntervalMs,
    weight: KEEPALIVED_DEFAULTS.scriptWeight,
    reverse: false,
    rise: KEEPALIVED_DEFAULTS.scriptRise,
    fall: KEEPALIVED_DEFAULTS.scriptFall,
    initFail: false,
    pos: stmt.pos,
  };
  dispatch(stmt.block ?? [], scriptKeywords(diags), draft, `vrrp_script ${name}`, diags);
  if (draft.command === undefined) {
    diags.error(stmt.pos, `vrrp_script ${name} has no script`);
    return undefined;
  }
  // vrrp_scheduler.c runs a script with `timeout ? timeout : interval` as its time limit.
  return { ...draft, command: draft.command, timeoutMs: draft.timeoutMs ?? draft.intervalMs };
}

interface TrackFileDraft extends Omit<VrrpTrackFile, 'path'> {
  path?: string;
}

function trackFileKeywords(diags: Diagnostics): KeywordTable<TrackFileDraft> {
  return {
    file: {
      handle(stmt, draft) {
        const path = oneArg(stmt, diags);
        if (path !== undefined) draft.path = path;
      },
    },
    weight: {
      handle(stmt, draft) {
        const [, value, option, ...rest] = stmt.words;
        if (value === undefined || rest.length > 0 || (option !== undefined && option !== 'reverse')) {
          diags.error(stmt.pos, `track_file ${draft.name}: expected 'weight W [reverse]'`, 'HALO_E_CONFIG_SYNTAX');
          return;
        }
        const weight = intIn(value, -254, 254, `track_file ${draft.name} weight`, stmt, diags);
        if (weight === undefined) return;
        draft.weight = weight;
        draft.reverse = option === 'reverse';
      },
    },
    init_file: {
      handle(stmt, draft) {
        const init = { value: 0, overwrite: false };
        for (const word of stmt.words.slice(1)) {
          if (word === 'overwrite') init.overwrite = true;
          else {
            const value = intIn(word, -(2 ** 31), 2 ** 31 - 1, `track_file ${draft.name} init_file value`, stmt, diags);
            if (value === undefined) return;
            // track_file.c accepts any int but reports values a weight cannot use.
            if (Math.abs(value) > 254)
              diags.warn(
                stmt.pos,
                `track_file ${draft.name} init value ${value} is outside the sensible range -254..254`,
                'HALO_W_CONFIG_ADJUSTED',
              );
            init.value = value;
          }
        }
        draft.init = init;
      },
    },
  };
}

/** `track_file NAME { ... }`, or its deprecated synonym `vrrp_track_file` (track_file.c). */
export function parseTrackFile(stmt: Stmt, diags: Diagnostics): VrrpTrackFile | undefined {
  const name = sectionName(stmt, diags);
  if (name === undefined) return undefined;
  if (stmt.words[0] === 'vrrp_track_file')
    diags.warn(stmt.pos, '"vrrp_track_file" is deprecated, please use "track_file"', 'HALO_W_CONFIG_DEPRECATED');
  const draft: TrackFileDraft = { name, weight: KEEPALIVED_DEFAULTS.trackFileWeight, reverse: false, pos: stmt.pos };
  dispatch(stmt.block ?? [], trackFileKeywords(diags), draft, `track_file ${name}`, diags);
  if (draft.path === undefined) {
    diags.error(stmt.pos, `track_file ${name} has no file`);
    return undefined;
  }
  return { ...draft, path: draft.path };
}
