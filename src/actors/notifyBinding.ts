/**
 * The notify queue of one VRRP instance (or sync group): keepalived's notify_master/backup/
 * fault/stop and the generic `notify` script, run strictly in order, one at a time. The
 * queue statechart owns ordering and the timeout; this binding only runs the scripts. A script
 * still running when the daemon is killed may finish, as keepalived's do (exec.ts).
 */
import { fromPromise } from 'xstate';
import type { NotifyScripts } from '../config/vrrp.model.js';
import { splitCommandLine } from '../io/commandLine.js';
import { runCommand } from '../io/exec.js';
import type { Logger } from '../io/log.js';
import { type NotifyRequest, type NotifyState, notifyQueueMachine } from '../machines/notify/notifyQueue.machine.js';
import type { Counters } from './counters.js';

/** The commands one state change runs: the state's own script, then the generic one with keepalived's arguments. */
export function notifyCommands(
  scripts: NotifyScripts,
  kind: 'INSTANCE' | 'GROUP',
  name: string,
  state: NotifyState,
  priority: number,
): string[][] {
  const specific = { MASTER: scripts.master, BACKUP: scripts.backup, FAULT: scripts.fault, STOP: scripts.stop }[state];
  const commands: string[][] = [];
  if (specific) commands.push(splitCommandLine(specific));
  if (scripts.generic) commands.push([...splitCommandLine(scripts.generic), kind, name, state, String(priority)]);
  return commands;
}

export function bindNotifyQueue(
  owner: { kind: 'INSTANCE' | 'GROUP'; name: string; scripts: NotifyScripts },
  deps: { log: Logger; counters: Counters; timeoutMs: number },
) {
  const logic = notifyQueueMachine.provide({
    actors: {
      runNotify: fromPromise(async ({ input, signal }: { input: NotifyRequest; signal: AbortSignal }) => {
        for (const argv of notifyCommands(owner.scripts, owner.kind, owner.name, input.state, input.priority)) {
          const result = await runCommand(argv, { timeoutMs: deps.timeoutMs * 2, signal, outlivesDaemon: true });
          deps.counters.inc('halo_notify_runs_total', { owner: owner.name, state: input.state });
          const level = result.exitCode === 0 ? 'info' : 'warn';
          deps.log[level](
            {
              command: argv[0],
              state: input.state,
              exitCode: result.exitCode,
              signal: result.signal,
              timedOut: result.timedOut,
              durationMs: result.durationMs,
              stdout: result.stdout.slice(0, 2000),
              stderr: result.stderr.slice(0, 2000),
            },
            'notify script finished',
          );
          if (signal.aborted) return;
        }
      }),
    },
  });
  return { logic, input: { name: owner.name, timeoutMs: deps.timeoutMs } };
}
