import type { SourcePos } from '../../errors.js';
import type { Diagnostics } from '../diagnostics.js';
import type {
  GarpSettings,
  HealSettings,
  VirtualAddress,
  VrrpAuth,
  VrrpGlobals,
  VrrpInitialState,
} from '../vrrp.model.js';
import { dispatch, type KeywordTable, type Stmt, valueLines } from './blocks.js';
import { garpKeywords, healKeywords } from './globalDefs.js';
import { sectionName } from './scripts.js';
import { emptyTracking, type TrackingDraft, trackingKeywords } from './tracking.js';
import { intIn, ipAddress, noArgs, oneArg, secondsIn } from './values.js';

/** An instance as written, before vrrp_complete_instance-style defaults and checks. */
export interface InstanceDraft extends TrackingDraft {
  name: string;
  pos: SourcePos;
  interface?: string;
  state?: VrrpInitialState;
  vrid?: number;
  priority?: number;
  /** advert_int in µs, keepalived's TIMER_HZ resolution, rounded per version when finished. */
  advertUs?: number;
  advertPos?: SourcePos;
  version?: 2 | 3;
  /** Where `nopreempt` was last set; cleared again by a later `preempt`. */
  nopreemptPos?: SourcePos;
  preemptDelayCs: number;
  preemptDelayPos?: SourcePos;
  auth: VrrpAuth;
  authPos?: SourcePos;
  vips: VirtualAddress[];
  excludedVips: VirtualAddress[];
  unicastSrcIp?: string;
  unicastPeers: string[];
  /** Any unicast keyword was given (keepalived VRRP_FLAG_UNICAST_CONFIGURED). */
  unicastPos?: SourcePos;
  garp: GarpSettings;
  /** As written; completeInstance fills the rest from global_defs. */
  heal: Partial<HealSettings>;
  dontTrackPrimary: boolean;
}

/** ip-address options halo does not apply; those in the map take a value. */
const IGNORED_VIP_OPTIONS = new Map([
  ['scope', true],
  ['peer', true],
  ['preferred_lft', true],
  ['track_group', true],
  ['home', false],
  ['-nodad', false],
  ['nodad', false],
  ['mngtmpaddr', false],
  ['noprefixroute', false],
  ['autojoin', false],
  ['no_track', false],
  ['use_vmac', false],
]);

/** `ADDR[/PREFIX] [brd B] [dev D] [label L] ...` (keepalived.conf(5) virtual_ipaddress). */
export function parseVip(line: Stmt, diags: Diagnostics): VirtualAddress | undefined {
  const [spec, ...options] = line.words;
  const [address, prefixText, ...extra] = spec!.split('/');
  const family = extra.length === 0 ? ipAddress(address, 'virtual address', line, diags) : undefined;
  if (extra.length > 0) diags.error(line.pos, `virtual address '${spec}' is invalid`);
  if (family === undefined) return undefined;
  const maxPrefix = family === 4 ? 32 : 128;
  const prefix =
    prefixText === undefined ? maxPrefix : intIn(prefixText, 0, maxPrefix, `prefix of ${address}`, line, diags);
  if (prefix === undefined) return undefined;
  const vip: VirtualAddress = { address: address!, prefix, pos: line.pos };
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!;
    if (option === 'dev' || option === 'label' || option === 'brd') {
      const value = options[++i];
      if (value === undefined) {
        diags.error(line.pos, `virtual address ${address}: '${option}' needs a value`, 'HALO_E_CONFIG_SYNTAX');
        return undefined;
      }
      vip[option] = value;
    } else if (IGNORED_VIP_OPTIONS.has(option)) {
      if (IGNORED_VIP_OPTIONS.get(option)) i++;
      diags.warn(
        line.pos,
        `virtual address ${address}: option '${option}' is not supported by halo; ignored`,
        'HALO_W_CONFIG_UNSUPPORTED',
      );
    } else {
      diags.error(line.pos, `virtual address ${address}: unknown option '${option}'`, 'HALO_E_CONFIG_SYNTAX');
      return undefined;
    }
  }
  return vip;
}

function addressBlock(
  pick: (d: InstanceDraft) => VirtualAddress[],
  diags: Diagnostics,
): KeywordTable<InstanceDraft>[string] {
  return {
    block: true,
    handle(stmt, draft) {
      for (const line of valueLines(stmt, diags)) {
        const vip = parseVip(line, diags);
        if (vip) pick(draft).push(vip);
      }
    },
  };
}

function instanceKeywords(diags: Diagnostics): KeywordTable<InstanceDraft> {
  return {
    ...trackingKeywords(diags),
    ...garpKeywords<InstanceDraft>('', (d) => d.garp, diags),
    ...healKeywords<InstanceDraft>('', (d) => d.heal, diags),
    state: {
      handle(stmt, d) {
        const state = oneArg(stmt, diags);
        if (state === 'MASTER' || state === 'BACKUP') d.state = state;
        else if (state !== undefined)
          diags.error(stmt.pos, `(${d.name}) unknown state '${state}': must be MASTER or BACKUP`);
      },
    },
    interface: {
      handle(stmt, d) {
        const name = oneArg(stmt, diags);
        // Linux interface names are at most IFNAMSIZ - 1 = 15 bytes (vrrp_int_handler).
        if (name !== undefined && Buffer.byteLength(name) > 15)
          diags.error(stmt.pos, `(${d.name}) interface name '${name}' is too long`);
        else if (name !== undefined) d.interface = name;
      },
    },
    virtual_router_id: {
      handle(stmt, d) {
        const vrid = intIn(oneArg(stmt, diags), 1, 255, `(${d.name}) virtual_router_id`, stmt, diags);
        if (vrid !== undefined) d.vrid = vrid;
      },
    },
    priority: {
      handle(stmt, d) {
        const priority = intIn(oneArg(stmt, diags), 1, 255, `(${d.name}) priority`, stmt, diags);
        if (priority !== undefined) d.priority = priority;
      },
    },
    advert_int: {
      handle(stmt, d) {
        // vrrp_adv_handler: 0.01 s .. 255 s at parse time; per-version limits when finished.
        const us = secondsIn(oneArg(stmt, diags), 6, 10_000, 255_000_000, `(${d.name}) advert_int`, stmt, diags);
        if (us === undefined) return;
        d.advertUs = us;
        d.advertPos = stmt.pos;
      },
    },
    version: {
      handle(stmt, d) {
        const version = intIn(oneArg(stmt, diags), 2, 3, `(${d.name}) version`, stmt, diags);
        if (version === 2 || version === 3) d.version = version;
      },
    },
    nopreempt: {
      handle(stmt, d) {
        if (noArgs(stmt, diags)) d.nopreemptPos = stmt.pos;
      },
    },
    preempt: {
      handle(stmt, d) {
        if (noArgs(stmt, diags)) d.nopreemptPos = undefined;
      },
    },
    preempt_delay: {
      handle(stmt, d) {
        // 0 .. TIMER_MAX_SEC (1000 s); halo keeps centiseconds.
        const us = secondsIn(oneArg(stmt, diags), 6, 0, 1000_000_000, `(${d.name}) preempt_delay`, stmt, diags);
        if (us === undefined) return;
        d.preemptDelayCs = Math.round(us / 10_000);
        d.preemptDelayPos = stmt.pos;
      },
    },
    authentication: {
      block: true,
      handle(stmt, d) {
        d.authPos = stmt.pos;
        dispatch(stmt.block ?? [], authKeywords(diags), d, `(${d.name}) authentication`, diags);
      },
    },
    virtual_ipaddress: addressBlock((d) => d.vips, diags),
    virtual_ipaddress_excluded: addressBlock((d) => d.excludedVips, diags),
    unicast_src_ip: {
      handle(stmt, d) {
        const ip = oneArg(stmt, diags);
        d.unicastPos = stmt.pos;
        if (ipAddress(ip, `(${d.name}) unicast_src_ip`, stmt, diags) !== undefined) d.unicastSrcIp = ip;
      },
    },
    unicast_peer: {
      block: true,
      handle(stmt, d) {
        d.unicastPos = stmt.pos;
        for (const line of valueLines(stmt, diags)) {
          const [ip, ...options] = line.words;
          if (ipAddress(ip, `(${d.name}) unicast peer`, line, diags) === undefined) continue;
          if (options.length > 0)
            diags.warn(
              line.pos,
              `(${d.name}) unicast peer options '${options.join(' ')}' are not supported by halo; ignored`,
              'HALO_W_CONFIG_UNSUPPORTED',
            );
          if (d.unicastPeers.includes(ip!))
            diags.warn(line.pos, `(${d.name}) duplicate unicast peer ${ip}; ignored`, 'HALO_W_CONFIG_IGNORED');
          else d.unicastPeers.push(ip!);
        }
      },
    },
    dont_track_primary: {
      handle(stmt, d) {
        if (noArgs(stmt, diags)) d.dontTrackPrimary = true;
      },
    },
    // "Debug level, not implemented yet" (keepalived.conf(5)): checked, then ignored.
    debug: {
      handle(stmt, d) {
        if (stmt.words.length > 1) intIn(oneArg(stmt, diags), 0, 4, `(${d.name}) debug level`, stmt, diags);
      },
    },
  };
}

function authKeywords(diags: Diagnostics): KeywordTable<InstanceDraft> {
  return {
    auth_type: {
      handle(stmt, d) {
        const type = oneArg(stmt, diags);
        if (type === 'PASS') d.auth.type = 'pass';
        else if (type === 'AH') d.auth.type = 'ah';
        else if (type !== undefined)
          diags.error(stmt.pos, `(${d.name}) unknown authentication type '${type}': must be PASS or AH`);
      },
    },
    auth_pass: {
      handle(stmt, d) {
        const pass = oneArg(stmt, diags);
        if (pass === undefined) return;
        // vrrp_auth_pass_handler: the field is 8 octets; longer passwords are cut with a warning.
        const bytes = Buffer.from(pass, 'utf8');
        if (bytes.length > 8)
          diags.warn(stmt.pos, `(${d.name}) truncating auth_pass to 8 characters`, 'HALO_W_CONFIG_ADJUSTED');
        d.auth.pass = bytes.subarray(0, 8).toString('utf8');
      },
    },
  };
}

export function parseInstance(stmt: Stmt, globals: VrrpGlobals, diags: Diagnostics): InstanceDraft | undefined {
  const name = sectionName(stmt, diags);
  if (name === undefined) return undefined;
  const draft: InstanceDraft = {
    ...emptyTracking(),
    name,
    pos: stmt.pos,
    preemptDelayCs: 0,
    auth: { type: 'none', pass: '' },
    vips: [],
    excludedVips: [],
    unicastPeers: [],
    // vrrp_data.c alloc_vrrp copies the global garp settings as they stand when the instance starts.
    garp: { ...globals.garp },
    heal: {},
    dontTrackPrimary: false,
  };
  dispatch(stmt.block ?? [], instanceKeywords(diags), draft, `vrrp_instance ${name}`, diags);
  return draft;
}
