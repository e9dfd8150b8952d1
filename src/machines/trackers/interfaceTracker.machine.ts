/**
 * A track_interface tracker: the link state of one interface, reported to the instances that
 * track it only when it changes (keepalived reacts to netlink up/down, not to repeats).
 */
import { setup } from 'xstate';

export interface InterfaceTrackerInput {
  name: string;
}

export type InterfaceTrackerEvent = { type: 'LINK'; up: boolean };

export const interfaceTrackerMachine = setup({
  types: {
    input: {} as InterfaceTrackerInput,
    context: {} as { name: string },
    events: {} as InterfaceTrackerEvent,
  },
  actions: {
    report: (_, _params: { ok: boolean }) => {},
  },
  guards: {
    isUp: ({ event }) => event.up,
    isDown: ({ event }) => !event.up,
  },
}).createMachine({
  id: 'interfaceTracker',
  context: ({ input }) => ({ name: input.name }),
  initial: 'init',
  states: {
    init: {
      on: {
        LINK: [
          { guard: 'isUp', target: 'up', actions: { type: 'report', params: { ok: true } } },
          { target: 'down', actions: { type: 'report', params: { ok: false } } },
        ],
      },
    },
    up: {
      on: { LINK: { guard: 'isDown', target: 'down', actions: { type: 'report', params: { ok: false } } } },
    },
    down: {
      on: { LINK: { guard: 'isUp', target: 'up', actions: { type: 'report', params: { ok: true } } } },
    },
  },
});
