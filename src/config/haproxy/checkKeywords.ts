/**
 * Health-check keywords beyond httpchk/mysql-check: haproxy's `option external-check` with
 * `external-check command|path` (configuration.txt 4.2), and halo's own `halo-check` family for
 * what haproxy cannot express — ICMP checks, keepalived's dynamic weight for scripts, and MySQL
 * role rules. haproxy refuses `halo-check` lines, so they mark a file as halo's.
 */
import type { LbMysqlRules } from '../lb.model.js';
import { type Ctx, expectArgs, type Keyword, kw } from './keyword.js';
import { MAX_INT, parseIntIn } from './values.js';

/** Reads `halo-check mysql` options (name, value) pairs and flags into rules; null on an error. */
function mysqlRules(c: Ctx): LbMysqlRules | null {
  const rules: LbMysqlRules = {
    passwordFile: null,
    readOnly: null,
    maxReplicaLagS: null,
    wsrepSynced: false,
    pos: c.pos,
  };
  const words = [...c.args];
  while (words.length > 0) {
    const option = words.shift()!;
    if (option === 'wsrep-synced') {
      rules.wsrepSynced = true;
      continue;
    }
    const value = words.shift();
    if (value === undefined) {
      c.diag.error(c.pos, `halo-check mysql: '${option}' expects a value`, 'HALO_E_CONFIG_SYNTAX');
      return null;
    }
    if (option === 'password-file') rules.passwordFile = value;
    else if (option === 'read-only' && (value === 'on' || value === 'off')) rules.readOnly = value === 'on' ? 1 : 0;
    else if (option === 'max-replica-lag' && parseIntIn(value, 0, MAX_INT) !== null)
      rules.maxReplicaLagS = parseIntIn(value, 0, MAX_INT);
    else {
      const known = 'password-file <file>, read-only on|off, max-replica-lag <seconds>, wsrep-synced';
      c.diag.error(c.pos, `halo-check mysql: '${option} ${value}' is not one of ${known}`);
      return null;
    }
  }
  return rules;
}

export const CHECK_KEYWORDS: Readonly<Record<string, Keyword>> = {
  'option external-check': kw(
    'be',
    (c) => {
      if (c.negate) c.draft.settings.healthCheck = null;
      else if (expectArgs(c, 'option external-check', 0, 0)) {
        // The command and path may come before or after this line; the proxy is completed when built.
        c.draft.settings.healthCheck = { kind: 'external', command: '', path: null, dynamicWeight: false, pos: c.pos };
      }
    },
    { negatable: true },
  ),
  'external-check command': kw('be', (c) => {
    if (expectArgs(c, 'external-check command', 1, 1))
      c.draft.settings.externalCommand = { command: c.args[0]!, pos: c.pos };
  }),
  'external-check path': kw('be', (c) => {
    if (expectArgs(c, 'external-check path', 1, 1)) c.draft.settings.externalPath = c.args[0]!;
  }),
  'halo-check icmp': kw('be', (c) => {
    if (expectArgs(c, 'halo-check icmp', 0, 0)) c.draft.settings.healthCheck = { kind: 'icmp', pos: c.pos };
  }),
  'halo-check dynamic-weight': kw('be', (c) => {
    if (expectArgs(c, 'halo-check dynamic-weight', 0, 0)) c.draft.settings.dynamicWeight = c.pos;
  }),
  'halo-check mysql': kw('be', (c) => {
    if (!expectArgs(c, 'halo-check mysql', 1, 7)) return;
    const rules = mysqlRules(c);
    if (rules !== null) c.draft.settings.mysqlRules = rules;
  }),
};
