/**
 * The pure half of the external-check probe: what to run for one check (haproxy
 * configuration.txt "external-check command", src/extcheck.c prepare_external_check) and what
 * its exit status means (exit 0 passes; keepalived.conf(5) MISC_CHECK `misc_dynamic` for the
 * weight rule).
 */
import { HaloError } from '../../errors.js';
import { splitCommandLine } from '../commandLine.js';
import type { ExecResult } from '../exec.js';
import type { ScriptCheck } from './probe.types.js';
import { fail, type Outcome, pass } from './probeOutcome.js';

export interface ScriptInvocation {
  argv: string[];
  /** The script's whole environment: the daemon's own variables are not passed (see scriptEnv). */
  env: Record<string, string>;
}

/** haproxy's argument for an address or port there is none of (a backend section has no listener). */
const NOT_USED = 'NOT_USED';

/** Longest piece of script output a result carries, so a chatty script cannot flood the logs. */
export const DETAIL_MAX_CHARS = 200;

/**
 * The argv and environment for one run. The command is split into words as keepalived splits
 * `misc_path` (no shell: `sh -c '…'` when one is wanted); haproxy runs the string as a single
 * program name, so only a path with a space in it needs quoting here. haproxy's four arguments
 * follow. Throws
 * HALO_E_CONFIG_VALUE when the command cannot run at all, so the config loader can reject it
 * with the same rule the probe applies.
 */
export function scriptInvocation(check: ScriptCheck, currentConnections: number | undefined): ScriptInvocation {
  const words = splitCommandLine(check.command);
  const program = words[0];
  if (program === undefined) {
    throw new HaloError('HALO_E_CONFIG_VALUE', 'external-check command is empty', { command: check.command });
  }
  // An empty PATH makes execvp (libuv, like glibc under haproxy) look in the current directory:
  // the daemon's, unrelated to the config. halo takes the default empty path to mean nowhere.
  if (!program.includes('/') && !check.path) {
    throw new HaloError(
      'HALO_E_CONFIG_VALUE',
      `external-check command ${JSON.stringify(program)} is not a path and external-check path is empty: ` +
        `give the full path or set external-check path`,
      { command: check.command },
    );
  }
  const { proxy, server } = check;
  const args = [proxy.address ?? NOT_USED, portText(proxy.port), server.address, portText(server.port)];
  return { argv: [...words, ...args], env: scriptEnv(check, currentConnections) };
}

/**
 * haproxy starts the check from a clean environment (global `external-check` without
 * `preserve-env`), so secrets in the daemon's environment never reach a check script; halo does
 * the same. Where an argument is NOT_USED its variable is empty, as in extchk_setenv.
 */
function scriptEnv(check: ScriptCheck, currentConnections: number | undefined): Record<string, string> {
  const { proxy, server } = check;
  return {
    PATH: check.path ?? '',
    HAPROXY_PROXY_ADDR: proxy.address ?? '',
    HAPROXY_PROXY_ID: String(proxy.id),
    HAPROXY_PROXY_NAME: proxy.name,
    HAPROXY_PROXY_PORT: proxy.port?.toString() ?? '',
    HAPROXY_SERVER_ADDR: server.address,
    ...(currentConnections === undefined ? {} : { HAPROXY_SERVER_CURCONN: String(currentConnections) }),
    HAPROXY_SERVER_ID: String(server.id),
    HAPROXY_SERVER_MAXCONN: String(server.maxconn),
    HAPROXY_SERVER_NAME: server.name,
    HAPROXY_SERVER_PORT: server.port?.toString() ?? '',
  };
}

function portText(port: number | null): string {
  return port === null ? NOT_USED : String(port);
}

/**
 * What a finished run means. Exit 0 passes. Without dynamic weight (`configuredWeight` null) any
 * other status fails; with it (misc_dynamic) 1 fails, 2..255 passes asking for weight status-2,
 * and 0 passes restoring the configured weight, as keepalived's check_misc.c does. A run stopped
 * at the deadline is a timeout; a signal from elsewhere is a failed run; a program that never
 * started is an error naming it.
 */
export function scriptOutcome(program: string, run: ExecResult, configuredWeight: number | null): Outcome {
  if (run.aborted || run.timedOut) return fail('timeout', 'still running at the check deadline: process group killed');
  const output = firstLine(run.stderr) || firstLine(run.stdout);
  const said = (head: string): string => (output ? `${head}: ${output}` : head);
  if (run.signal !== null) return fail('exit', said(`killed by ${run.signal}`));
  if (run.exitCode === null)
    return fail('error', `cannot run ${JSON.stringify(program)}: ${bounded(run.stderr.trim())}`);
  const code = run.exitCode;
  if (configuredWeight !== null && code === 0)
    return { ...pass(said(`exit 0, weight ${configuredWeight} (configured)`)), weight: configuredWeight };
  if (code === 0) return pass(said('exit 0'));
  if (configuredWeight !== null && code >= 2)
    return { ...pass(said(`exit ${code}, weight ${code - 2}`)), weight: code - 2 };
  return fail('exit', said(`exit ${code}`));
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '');
  return line === undefined ? '' : bounded(line.trim());
}

function bounded(text: string): string {
  return text.length > DETAIL_MAX_CHARS ? `${text.slice(0, DETAIL_MAX_CHARS)}…` : text;
}
