/**
 * Trackers are shared: one actor per vrrp_script / tracked interface / track_file, whose reports
 * go to every instance that tracks it. Each instance applies its own weight to the report.
 */
import { fromPromise } from 'xstate';
import type { VrrpConfig, VrrpScript } from '../config/vrrp.model.js';
import { runCommand } from '../io/exec.js';
import { splitCommandLine } from '../io/commandLine.js';
import type { Logger } from '../io/log.js';
import { fileTrackerMachine } from '../machines/trackers/fileTracker.machine.js';
import { interfaceTrackerMachine } from '../machines/trackers/interfaceTracker.machine.js';
import { scriptTrackerMachine } from '../machines/trackers/scriptTracker.machine.js';
import { actorIds } from './actorIds.js';
import type { ActorBus } from './bus.js';
import type { Counters } from './counters.js';

/** Which instances track a given tracker, by kind and name. */
export function trackingInstances(cfg: VrrpConfig, kind: 'script' | 'interface' | 'file', name: string): string[] {
  return cfg.instances
    .filter((i) =>
      (kind === 'script' ? i.trackScripts : kind === 'interface' ? i.trackInterfaces : i.trackFiles).some(
        (t) => t.name === name,
      ),
    )
    .map((i) => i.name);
}

function reportTo(bus: ActorBus, instances: string[], name: string) {
  return (ok: boolean, value?: number): void => {
    for (const inst of instances)
      bus.send(actorIds.vrrp(inst), { type: 'TRACK', name, ok, ...(value === undefined ? {} : { value }) });
  };
}

export function bindScriptTracker(
  script: VrrpScript,
  instances: string[],
  deps: { bus: ActorBus; log: Logger; counters: Counters },
) {
  const argv = splitCommandLine(script.command);
  const report = reportTo(deps.bus, instances, script.name);
  const logic = scriptTrackerMachine.provide({
    actors: {
      runCheck: fromPromise(async ({ signal }) => {
        const result = await runCommand(argv, { timeoutMs: script.timeoutMs, signal });
        deps.counters.inc('halo_script_runs_total', { script: script.name });
        if (result.exitCode !== 0) {
          deps.log.debug(
            {
              exitCode: result.exitCode,
              signal: result.signal,
              timedOut: result.timedOut,
              stderr: result.stderr.slice(0, 500),
            },
            'check script failed',
          );
        }
        return { ok: result.exitCode === 0 };
      }),
    },
    actions: {
      report: (_, params) => report(params.ok),
    },
  });
  return {
    logic,
    input: {
      name: script.name,
      intervalMs: script.intervalMs,
      timeoutMs: script.timeoutMs,
      rise: script.rise,
      fall: script.fall,
      initFail: script.initFail,
    },
  };
}

export function bindInterfaceTracker(dev: string, instances: string[], bus: ActorBus) {
  const report = reportTo(bus, instances, dev);
  return {
    logic: interfaceTrackerMachine.provide({ actions: { report: (_, params) => report(params.ok) } }),
    input: { name: dev },
  };
}

export function bindFileTracker(name: string, instances: string[], bus: ActorBus) {
  const report = reportTo(bus, instances, name);
  return {
    logic: fileTrackerMachine.provide({ actions: { report: (_, params) => report(params.ok, params.value) } }),
    input: { name },
  };
}
