import type { SourcePos } from '../../errors.js';
import type { Diagnostics } from '../diagnostics.js';
import type { LbGlobal } from '../lb.model.js';
import { MAX_INT, parseIntIn } from './values.js';

/**
 * Global keywords that shape haproxy's own process (configuration.txt 3.1, 3.2). halo is one
 * supervised Node process, so it accepts them to keep users' files loading and records them in
 * `ignored` for a debug log line.
 */
const PROCESS_KEYWORDS: Readonly<Record<string, string>> = {
  daemon: 'halo never forks itself; run it under a supervisor',
  pidfile: 'halo does not write a pid file',
  uid: 'halo runs as the user it was started as',
  gid: 'halo runs as the group it was started as',
  user: 'halo runs as the user it was started as',
  group: 'halo runs as the group it was started as',
  quiet: 'halo logs through pino; use its log level',
  nbthread: 'halo sizes its own workers',
  // haproxy's opt-ins before it forks a check script; halo always may, in a process group of its own.
  'external-check': 'halo runs external checks without an opt-in',
  'insecure-fork-wanted': 'halo runs external checks without an opt-in',
  'stats socket': 'the stats page is served by halo',
  'stats timeout': 'the stats page is served by halo',
};

export function initialGlobal(file: string): LbGlobal {
  return { maxconn: null, logs: [], ignored: [], pos: { file, line: 0 } };
}

/** Applies one statement of a `global` section. */
export function applyGlobalStatement(g: LbGlobal, words: readonly string[], pos: SourcePos, diag: Diagnostics): void {
  const [keyword, ...args] = words as [string, ...string[]];
  if (keyword === 'maxconn') {
    const n = args.length === 1 ? parseIntIn(args[0]!, 1, MAX_INT) : null;
    if (n === null) diag.error(pos, `'maxconn' expects one integer in 1..${MAX_INT}`);
    else g.maxconn = n;
    return;
  }
  if (keyword === 'log') {
    if (args.length === 0) diag.error(pos, "'log' expects a target", 'HALO_E_CONFIG_SYNTAX');
    else g.logs.push({ args, pos });
    return;
  }
  if (keyword === 'nbproc') {
    // haproxy >= 2.5 refuses nbproc ("not supported any more"); the seed's `nbproc 1` must still load.
    diag.warn(pos, "'nbproc' is ignored: halo runs a single process", 'HALO_W_CONFIG_UNSUPPORTED');
    g.ignored.push({ keyword, args, reason: 'multi-process mode was removed in haproxy 2.5', pos });
    return;
  }
  const two = `${keyword} ${args[0] ?? ''}`;
  const reason = PROCESS_KEYWORDS[keyword] ?? PROCESS_KEYWORDS[two];
  if (reason !== undefined) g.ignored.push({ keyword, args, reason, pos });
  else diag.warn(pos, `unknown keyword '${keyword}' in 'global' section; ignored`, 'HALO_W_CONFIG_UNKNOWN_KEYWORD');
}
