/**
 * Drives serverHealthMachine on a SimulatedClock with a scripted probe: each probe run takes the
 * next scripted answer ('hang' never answers and records when it is aborted).
 */
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import { serverHealthMachine } from '../../../src/machines/lb/serverHealth.machine.js';
import type {
  AdminState,
  ProbeInput,
  ProbeResult,
  ServerHealthInput,
} from '../../../src/machines/lb/serverHealth.types.js';

/** `{ weight }`: a passed check asking for that weight (a dynamic-weight external check). */
export type Answer = 'pass' | 'fail' | 'hang' | { weight: number };

export interface Harness {
  actor: ReturnType<typeof createActor<typeof serverHealthMachine>>;
  clock: SimulatedClock;
  /** Clock time at which each probe started, and the input it was given. */
  probeStarts: number[];
  probeInputs: ProbeInput[];
  aborted: number;
  ups: string[];
  downs: string[];
  admins: AdminState[];
  weights: number[];
  /** Answers the next probes will give; when empty, probes pass. */
  script: Answer[];
  /** Advance simulated time and let the probe promises settle. */
  advance(ms: number): Promise<void>;
  health(): string;
}

export const baseInput: ServerHealthInput = {
  backend: 'proxy',
  server: 'db1',
  rise: 3,
  fall: 3,
  interMs: 2000,
  fastInterMs: 500,
  downInterMs: 5000,
  timeoutMs: 1000,
  initialDelayMs: 100,
  checkEnabled: true,
};

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

export function startHarness(input: Partial<ServerHealthInput> = {}, script: Answer[] = []): Harness {
  const clock = new SimulatedClock();
  const h: Omit<Harness, 'actor'> & { actor?: Harness['actor'] } = {
    clock,
    probeStarts: [],
    probeInputs: [],
    aborted: 0,
    ups: [],
    downs: [],
    admins: [],
    weights: [],
    script,
    advance: async (ms: number) => {
      // Step 1 ms at a time so every timer fires at its own instant and probes settle before
      // the next one is due. Timers due now (a 0 ms delay) fire first.
      clock.increment(0);
      await flush();
      for (let i = 0; i < ms; i++) {
        clock.increment(1);
        await flush();
      }
    },
    health: () => JSON.stringify(h.actor!.getSnapshot().value.health),
  };
  const probe = fromPromise<ProbeResult, ProbeInput>(({ input, signal }) => {
    h.probeStarts.push(clock.now());
    h.probeInputs.push(input);
    const answer = h.script.shift() ?? 'pass';
    if (answer === 'hang') {
      return new Promise<ProbeResult>(() => {
        signal.addEventListener('abort', () => {
          h.aborted++;
        });
      });
    }
    if (typeof answer === 'object')
      return Promise.resolve({ ok: true, reason: 'ok', detail: 'ok', durationMs: 1, weight: answer.weight });
    return Promise.resolve({
      ok: answer === 'pass',
      reason: answer === 'pass' ? 'ok' : 'refused',
      detail: answer === 'pass' ? 'ok' : 'connect ECONNREFUSED',
      durationMs: 1,
    });
  });
  const machine = serverHealthMachine.provide({
    actors: { probe },
    actions: {
      serverUp: (_, params) => h.ups.push(params.reason),
      serverDown: (_, params) => h.downs.push(params.reason),
      adminChanged: (_, params) => h.admins.push(params.state),
      weightChanged: (_, params) => h.weights.push(params.weight),
    },
  });
  h.actor = createActor(machine, { clock, input: { ...baseInput, ...input } });
  h.actor.start();
  return h as Harness;
}
