/**
 * haproxy's `option external-check` probe: run the check command through runCommand (own
 * process group, killed as a whole when the health machine aborts at its check deadline) and
 * judge its exit status with scriptCheck. Never rejects.
 */
import { runCommand } from '../exec.js';
import type { ProbeResult, ScriptCheck } from './probe.types.js';
import { errorText, fail, stopwatch } from './probeOutcome.js';
import { type ScriptInvocation, scriptInvocation, scriptOutcome } from './scriptCheck.js';

/** Only the first line of output reaches the result; the rest is read and dropped. */
const OUTPUT_CAP_BYTES = 4096;

/**
 * The caller's signal is the deadline, as for the socket probes; runCommand insists on its own
 * timeout, so it gets the longest a Node timer can wait (longer ones fire at once).
 */
const NO_TIMEOUT_MS = 2 ** 31 - 1;

export async function scriptProbe(check: ScriptCheck, signal: AbortSignal): Promise<ProbeResult> {
  const stamp = stopwatch();
  let invocation: ScriptInvocation;
  try {
    invocation = scriptInvocation(check, check.currentConnections?.());
  } catch (err) {
    return stamp(fail('error', errorText(err)));
  }
  const { argv, env } = invocation;
  const run = await runCommand(argv, {
    timeoutMs: NO_TIMEOUT_MS,
    signal,
    env,
    cleanEnv: true,
    maxOutputBytes: OUTPUT_CAP_BYTES,
  });
  return stamp(scriptOutcome(argv[0]!, run, check.dynamicWeight ? check.server.weight : null));
}
