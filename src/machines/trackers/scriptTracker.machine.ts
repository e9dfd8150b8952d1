/**
 * A vrrp_script tracker: runs the check every `intervalMs` and reports a status change only
 * after `rise` consecutive successes or `fall` consecutive failures, exactly as keepalived's
 * vrrp_script_child_thread counts (keepalived/vrrp/vrrp_scheduler.c):
 *
 * - `result` runs from 0 to rise + fall - 1; the script is OK while result >= rise.
 * - Without init_fail the first run decides at once (result starts at rise - 1, "one success
 *   is enough", and a first failure is reported too). With init_fail the script starts failed
 *   (result 0, reported at start so instances begin in FAULT or at reduced priority) and needs
 *   `rise` successes.
 * - The first run starts immediately, later ones every intervalMs from the previous start; a
 *   tick that finds the check still running is skipped ("already running - skipping run").
 * - A run longer than timeoutMs is stopped (its signal aborts) and counts as a failure.
 *
 * State values: `init.*`, `ok.*`, `failed.*`, each with `checking` / `waiting` substates.
 */
import { assertEvent, assign, fromPromise, raise, setup } from 'xstate';

export interface ScriptTrackerInput {
  name: string;
  intervalMs: number;
  timeoutMs: number;
  rise: number;
  fall: number;
  initFail?: boolean;
}

export interface ScriptTrackerContext {
  name: string;
  intervalMs: number;
  timeoutMs: number;
  rise: number;
  fall: number;
  initFail: boolean;
  /** keepalived's vscript->result. */
  result: number;
  runs: number;
  failures: number;
  timeouts: number;
}

/** TICK: the interval timer. RUN_END: one run finished (done, rejected or timed out). */
type ScriptTrackerEvent = { type: 'TICK' } | { type: 'RUN_END'; success: boolean; timedOut: boolean };

/** What one run does to the counter, and the status it reports if the status changes. */
export function scriptStep(
  result: number,
  success: boolean,
  rise: number,
  fall: number,
  firstRun: boolean,
): { result: number; report: boolean | null } {
  if (success) {
    if (result < rise - 1) return { result: result + 1, report: null };
    return { result: rise + fall - 1, report: result < rise ? true : null };
  }
  if (result > rise) return { result: result - 1, report: null };
  return { result: 0, report: result === rise || firstRun ? false : null };
}

const TICK_ID = 'tick';

/** One status (init / ok / failed) with its run cycle; `firstRun` is keepalived's SCRIPT_INIT_STATE_INIT. */
function statusState(firstRun: boolean) {
  return {
    initial: 'checking',
    states: {
      checking: {
        invoke: {
          src: 'runCheck',
          input: ({ context }: { context: ScriptTrackerContext }) => ({ name: context.name }),
          onDone: {
            actions: {
              type: 'endRun',
              params: ({ event }: { event: { output: { ok: boolean } } }) => ({
                success: event.output.ok,
                timedOut: false,
              }),
            },
          },
          onError: { actions: { type: 'endRun', params: { success: false, timedOut: false } } },
        },
        // Leaving `checking` stops the invoked run, which aborts its signal.
        after: { checkTimeout: { actions: { type: 'endRun', params: { success: false, timedOut: true } } } },
        on: {
          TICK: { actions: 'scheduleTick' },
          RUN_END: [
            {
              guard: { type: 'reports', params: { ok: true, firstRun } },
              target: '#scriptTracker.ok.waiting',
              actions: [
                { type: 'record', params: { firstRun } },
                { type: 'report', params: { ok: true } },
              ],
            },
            {
              guard: { type: 'reports', params: { ok: false, firstRun } },
              target: '#scriptTracker.failed.waiting',
              actions: [
                { type: 'record', params: { firstRun } },
                { type: 'report', params: { ok: false } },
              ],
            },
            { target: 'waiting', actions: { type: 'record', params: { firstRun } } },
          ],
        },
      },
      waiting: {
        on: { TICK: { target: 'checking', actions: 'scheduleTick' } },
      },
    },
  } as const;
}

function stepFor(context: ScriptTrackerContext, event: ScriptTrackerEvent, firstRun: boolean) {
  const success = event.type === 'RUN_END' && event.success;
  return scriptStep(context.result, success, context.rise, context.fall, firstRun);
}

export const scriptTrackerMachine = setup({
  types: {
    input: {} as ScriptTrackerInput,
    context: {} as ScriptTrackerContext,
    events: {} as ScriptTrackerEvent,
  },
  actors: {
    // The wiring runs the script; a rejection counts as a failed run.
    runCheck: fromPromise<{ ok: boolean }, { name: string }>(async () => ({ ok: false })),
  },
  actions: {
    report: (_, _params: { ok: boolean }) => {},
    scheduleTick: raise({ type: 'TICK' }, { delay: 'interval', id: TICK_ID }),
    endRun: raise((_, params: { success: boolean; timedOut: boolean }) => ({ type: 'RUN_END' as const, ...params })),
    record: assign(({ context, event }, params: { firstRun: boolean }) => {
      assertEvent(event, 'RUN_END');
      return {
        result: stepFor(context, event, params.firstRun).result,
        runs: context.runs + 1,
        failures: context.failures + (event.success ? 0 : 1),
        timeouts: context.timeouts + (event.timedOut ? 1 : 0),
      };
    }),
  },
  guards: {
    reports: ({ context, event }, params: { ok: boolean; firstRun: boolean }) =>
      stepFor(context, event, params.firstRun).report === params.ok,
  },
  delays: {
    interval: ({ context }) => context.intervalMs,
    checkTimeout: ({ context }) => context.timeoutMs,
  },
}).createMachine({
  id: 'scriptTracker',
  context: ({ input }) => ({
    name: input.name,
    intervalMs: input.intervalMs,
    timeoutMs: input.timeoutMs,
    rise: input.rise,
    fall: input.fall,
    initFail: input.initFail ?? false,
    result: input.initFail ? 0 : input.rise - 1,
    runs: 0,
    failures: 0,
    timeouts: 0,
  }),
  // The first run starts now (keepalived thread_add_event), the next one intervalMs later.
  entry: 'scheduleTick',
  initial: 'start',
  states: {
    start: {
      always: [
        {
          guard: ({ context }) => context.initFail,
          target: 'failed',
          actions: { type: 'report', params: { ok: false } },
        },
        { target: 'init' },
      ],
    },
    init: statusState(true),
    ok: statusState(false),
    failed: statusState(false),
  },
});
