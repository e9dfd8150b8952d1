import type { SourcePos } from '../../errors.js';
import type { Diagnostics } from '../diagnostics.js';
import type { GarpSettings, HealSettings, VrrpGlobals } from '../vrrp.model.js';
import { dispatch, type KeywordTable, type Stmt } from './blocks.js';
import { KEEPALIVED_DEFAULTS } from './defaults.js';
import { boolArg, intIn, ipAddress, noArgs, oneArg } from './values.js';

export function defaultGlobals(pos: SourcePos): VrrpGlobals {
  return {
    vrrpVersion: KEEPALIVED_DEFAULTS.vrrpVersion,
    mcastGroup4: KEEPALIVED_DEFAULTS.mcastGroup4,
    garp: { ...KEEPALIVED_DEFAULTS.garp },
    heal: {},
    enableScriptSecurity: false,
    pos,
  };
}

/**
 * garp_master_* as keepalived reads them both in global_defs (vrrp_garp_*) and per instance
 * (vrrp_parser.c): whole seconds for delay and refresh; a repeat of 0 is accepted for backward
 * compatibility but raised to 1 with a warning.
 */
export function garpKeywords<S>(prefix: string, garpOf: (s: S) => GarpSettings, diags: Diagnostics): KeywordTable<S> {
  // The delay is kept in µs by keepalived (max UINT_MAX / TIMER_HZ s), the refresh in seconds.
  const seconds = (key: 'delayCs' | 'refreshCs', max: number) => ({
    handle(stmt: Stmt, state: S) {
      const s = intIn(oneArg(stmt, diags), 0, max, stmt.words[0]!, stmt, diags);
      if (s !== undefined) garpOf(state)[key] = s * 100;
    },
  });
  const repeat = (key: 'repeat' | 'refreshRepeat') => ({
    handle(stmt: Stmt, state: S) {
      const n = intIn(oneArg(stmt, diags), 0, 2 ** 31 - 1, stmt.words[0]!, stmt, diags);
      if (n === undefined) return;
      if (n === 0)
        diags.warn(stmt.pos, `${stmt.words[0]} must be greater than 0, setting to 1`, 'HALO_W_CONFIG_ADJUSTED');
      garpOf(state)[key] = Math.max(n, 1);
    },
  });
  return {
    [`${prefix}garp_master_delay`]: seconds('delayCs', 4294),
    [`${prefix}garp_master_repeat`]: repeat('repeat'),
    [`${prefix}garp_master_refresh`]: seconds('refreshCs', 2 ** 32 - 1),
    [`${prefix}garp_master_refresh_repeat`]: repeat('refreshRepeat'),
  };
}

/**
 * What a master does on hearing another master, global (vrrp_*) and per instance
 * (vrrp_parser.c, global_parser.c): whole seconds for the delay; a repeat of 0 means no GARPs.
 */
export function healKeywords<S>(
  prefix: string,
  healOf: (s: S) => Partial<HealSettings>,
  diags: Diagnostics,
): KeywordTable<S> {
  const flag = (key: 'lowerPrioAdvert' | 'higherPrioSendAdvert', negated: boolean) => ({
    handle(stmt: Stmt, state: S) {
      const on = boolArg(stmt, diags);
      if (on !== undefined) healOf(state)[key] = on !== negated;
    },
  });
  return {
    [`${prefix}garp_lower_prio_repeat`]: {
      handle(stmt, state) {
        const n = intIn(oneArg(stmt, diags), 0, 2 ** 31 - 1, stmt.words[0]!, stmt, diags);
        if (n !== undefined) healOf(state).lowerPrioGarpRepeat = n;
      },
    },
    [`${prefix}garp_lower_prio_delay`]: {
      handle(stmt, state) {
        const s = intIn(oneArg(stmt, diags), 0, 4294, stmt.words[0]!, stmt, diags);
        if (s !== undefined) healOf(state).lowerPrioGarpDelayCs = s * 100;
      },
    },
    [`${prefix}lower_prio_no_advert`]: flag('lowerPrioAdvert', true),
    [`${prefix}higher_prio_send_advert`]: flag('higherPrioSendAdvert', false),
  };
}

function globalKeywords(diags: Diagnostics): KeywordTable<VrrpGlobals> {
  return {
    router_id: {
      handle(stmt, g) {
        const id = oneArg(stmt, diags);
        if (id !== undefined) g.routerId = id;
      },
    },
    vrrp_version: {
      handle(stmt, g) {
        const v = intIn(oneArg(stmt, diags), 2, 3, 'vrrp_version', stmt, diags);
        if (v === 2 || v === 3) g.vrrpVersion = v;
      },
    },
    vrrp_mcast_group4: {
      handle(stmt, g) {
        const addr = oneArg(stmt, diags);
        if (ipAddress(addr, 'vrrp_mcast_group4', stmt, diags) === undefined) return;
        const first = Number(addr!.split('.')[0]);
        if (first < 224 || first > 239)
          diags.error(stmt.pos, `vrrp_mcast_group4 '${addr}' is not an IPv4 multicast address`);
        else g.mcastGroup4 = addr!;
      },
    },
    enable_script_security: {
      handle(stmt, g) {
        if (noArgs(stmt, diags)) g.enableScriptSecurity = true;
      },
    },
    script_user: {
      handle(stmt, g) {
        const [, user, group, ...rest] = stmt.words;
        if (user === undefined || rest.length > 0) {
          diags.error(stmt.pos, 'script_user takes a user and an optional group', 'HALO_E_CONFIG_SYNTAX');
          return;
        }
        g.scriptUser = group === undefined ? { user } : { user, group };
      },
    },
    ...garpKeywords<VrrpGlobals>('vrrp_', (g) => g.garp, diags),
    ...healKeywords<VrrpGlobals>('vrrp_', (g) => g.heal, diags),
  };
}

/** Applies one global_defs block; several blocks accumulate, as in keepalived. */
export function parseGlobalDefs(stmt: Stmt, globals: VrrpGlobals, diags: Diagnostics): void {
  if (stmt.words.length > 1)
    diags.error(stmt.pos, 'global_defs takes no value before its block', 'HALO_E_CONFIG_SYNTAX');
  globals.pos = stmt.pos;
  dispatch(stmt.block ?? [], globalKeywords(diags), globals, 'global_defs', diags);
}
