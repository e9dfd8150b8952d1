/**
 * One backend server's health, as haproxy keeps it (src/check.c, src/server.c), in three
 * parallel regions:
 *  - `health`: a view of the one health counter. up.stable (top of the counter), up.failing
 *    (UP, losing: "UP 1/3" on haproxy's stats page), down.stable (0), down.rising (DOWN,
 *    passing). Entering `up` / `down` fires serverUp / serverDown, the one place a state
 *    change is committed (haproxy srv_set_running / srv_set_stopped).
 *  - `admin`: ready | drain | maint, set only by ADMIN. Kept apart from health: checks go on in
 *    maint and drain, so the journal shows whether a server under maintenance is healthy and
 *    leaving maint returns its true state at once. (haproxy pauses checks in maint and restarts
 *    from health=rise on leaving it.)
 *  - `check`: the probe loop. starting waits `initialDelayMs` (the wiring's spread), probing
 *    runs the `probe` actor with a `timeoutMs` deadline, waiting sleeps the interval that the
 *    new health implies (inter / fastinter / downinter), counted from the end of the check as
 *    haproxy does.
 */
import { assign, fromPromise, setup } from 'xstate';
import { isUp, maxHealth } from './healthCounter.js';
import {
  applyCheckResult,
  applyPassiveError,
  clampWeight,
  initialContext,
  passiveErrorTrips,
  requestedWeight,
  stateReason,
} from './serverHealthContext.js';
import type {
  AdminState,
  ProbeInput,
  ProbeResult,
  ServerHealthContext,
  ServerHealthEvent,
  ServerHealthInput,
} from './serverHealth.types.js';

const timeoutResult = (ctx: ServerHealthContext): ProbeResult => ({
  ok: false,
  reason: 'timeout',
  detail: `no answer within ${ctx.timeoutMs} ms`,
  durationMs: ctx.timeoutMs,
});

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Only called once `asksNewWeight` held, so the weight is there. */
const weightOf = (result: ProbeResult): number => clampWeight(result.weight ?? 0);

const reasonParams = ({ context }: { context: ServerHealthContext }) => ({ reason: stateReason(context) });

export const serverHealthMachine = setup({
  types: {
    input: {} as ServerHealthInput,
    context: {} as ServerHealthContext,
    events: {} as ServerHealthEvent,
  },
  actors: {
    // The wiring provides the real probe (tcp, http, mysql) and passes it the actor's signal,
    // which xstate aborts when the timeout moves the machine out of `probing`.
    probe: fromPromise<ProbeResult, ProbeInput>(async () => ({
      ok: false,
      reason: 'error',
      detail: 'no probe provided',
      durationMs: 0,
    })),
  },
  actions: {
    serverUp: (_, _params: { reason: string }) => {},
    serverDown: (_, _params: { reason: string }) => {},
    adminChanged: (_, _params: { state: AdminState }) => {},
    weightChanged: (_, _params: { weight: number }) => {},
    setWeight: assign((_, params: { weight: number }) => ({ weight: params.weight })),
    setAdmin: assign((_, params: { state: AdminState }) => ({ admin: params.state })),
    recordResult: assign(({ context }, params: { result: ProbeResult }) => applyCheckResult(context, params.result)),
    recordPassiveError: assign(({ context, event }) =>
      event.type === 'PASSIVE_ERROR' ? applyPassiveError(context, event.reason) : {},
    ),
    clearPassiveErrors: assign({ consecutiveErrors: 0 }),
  },
  guards: {
    checksOff: ({ context }) => !context.checkEnabled,
    isUp: ({ context }) => isUp(context.health, context),
    isDown: ({ context }) => !isUp(context.health, context),
    atTop: ({ context }) => context.health >= maxHealth(context),
    atBottom: ({ context }) => context.health === 0,
    failingBand: ({ context }) => isUp(context.health, context) && context.health < maxHealth(context),
    risingBand: ({ context }) => context.health > 0 && !isUp(context.health, context),
    adminIs: ({ context }, params: { state: AdminState }) => context.admin === params.state,
    adminTo: ({ context, event }, params: { state: AdminState }) =>
      event.type === 'ADMIN' && event.state === params.state && context.admin !== params.state,
    observed: ({ context }) => context.checkEnabled,
    tripsLimit: ({ context }) => context.checkEnabled && passiveErrorTrips(context),
    hasErrorStreak: ({ context }) => context.consecutiveErrors > 0,
    asksNewWeight: ({ context }, params: { result: ProbeResult }) => requestedWeight(context, params.result) !== null,
  },
  delays: {
    initialDelay: ({ context }) => context.initialDelayMs,
    nextCheck: ({ context }) => context.nextCheckMs,
    fastInter: ({ context }) => context.fastInterMs,
    probeTimeout: ({ context }) => context.timeoutMs,
  },
}).createMachine({
  id: 'serverHealth',
  type: 'parallel',
  context: ({ input }) => initialContext(input),
  states: {
    health: {
      initial: 'init',
      on: {
        PASSIVE_ERROR: { guard: 'observed', actions: 'recordPassiveError' },
        PASSIVE_OK: { guard: 'hasErrorStreak', actions: 'clearPassiveErrors' },
      },
      states: {
        init: {
          always: [
            { guard: 'atTop', target: 'up.stable' },
            { guard: 'isUp', target: 'up.failing' },
            { guard: 'atBottom', target: 'down.stable' },
            { target: 'down.rising' },
          ],
        },
        up: {
          entry: { type: 'serverUp', params: reasonParams },
          always: { guard: 'isDown', target: 'down' },
          initial: 'stable',
          states: {
            stable: { always: { guard: 'failingBand', target: 'failing' } },
            failing: { always: { guard: 'atTop', target: 'stable' } },
          },
        },
        down: {
          entry: { type: 'serverDown', params: reasonParams },
          always: { guard: 'isUp', target: 'up' },
          initial: 'stable',
          states: {
            stable: { always: { guard: 'risingBand', target: 'rising' } },
            rising: { always: { guard: 'atBottom', target: 'stable' } },
          },
        },
      },
    },
    admin: {
      initial: 'init',
      on: {
        ADMIN: (['ready', 'drain', 'maint'] as const).map((state) => ({
          guard: { type: 'adminTo' as const, params: { state } },
          target: `.${state}`,
          actions: [
            { type: 'setAdmin' as const, params: { state } },
            { type: 'adminChanged' as const, params: { state } },
          ],
        })),
      },
      states: {
        init: {
          always: [
            { guard: { type: 'adminIs', params: { state: 'maint' } }, target: 'maint' },
            { guard: { type: 'adminIs', params: { state: 'drain' } }, target: 'drain' },
            { target: 'ready' },
          ],
        },
        ready: {},
        drain: {},
        maint: {},
      },
    },
    // The probe/wait cycle is plumbing: it turns every few seconds, so it is not a journal event
    // on its own (see transitionMapper); health and admin changes are.
    check: {
      meta: { journal: false },
      initial: 'init',
      states: {
        init: { always: [{ guard: 'checksOff', target: 'off' }, { target: 'starting' }] },
        off: {},
        starting: {
          after: { initialDelay: 'probing' },
          on: { CHECK_NOW: 'probing' },
        },
        probing: {
          invoke: {
            id: 'probe',
            src: 'probe',
            input: ({ context }) => ({ backend: context.backend, server: context.server }),
            onDone: [
              {
                // A dynamic-weight check (external check, misc_dynamic) changed the weight.
                guard: { type: 'asksNewWeight', params: ({ event }) => ({ result: event.output }) },
                target: 'waiting',
                actions: [
                  { type: 'recordResult', params: ({ event }) => ({ result: event.output }) },
                  { type: 'setWeight', params: ({ event }) => ({ weight: weightOf(event.output) }) },
                  { type: 'weightChanged', params: ({ event }) => ({ weight: weightOf(event.output) }) },
                ],
              },
              {
                target: 'waiting',
                actions: { type: 'recordResult', params: ({ event }) => ({ result: event.output }) },
              },
            ],
            onError: {
              target: 'waiting',
              actions: {
                type: 'recordResult',
                params: ({ event }) => ({
                  result: { ok: false, reason: 'error', detail: errorMessage(event.error), durationMs: 0 },
                }),
              },
            },
          },
          after: {
            probeTimeout: {
              target: 'waiting',
              actions: { type: 'recordResult', params: ({ context }) => ({ result: timeoutResult(context) }) },
            },
          },
        },
        waiting: {
          after: { nextCheck: 'probing' },
          on: { CHECK_NOW: 'probing' },
          initial: 'scheduled',
          states: {
            scheduled: { on: { PASSIVE_ERROR: { guard: 'tripsLimit', target: 'hastened' } } },
            // __health_adjust: the next check comes no later than fastinter after the trip;
            // the parent's own timer keeps running, so whichever is sooner fires.
            hastened: { after: { fastInter: '#serverHealth.check.probing' } },
          },
        },
      },
    },
  },
});
