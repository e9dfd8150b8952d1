/**
 * A track_file tracker: the number in a file, as keepalived's track_file.c reads it.
 * - An unreadable, empty or deleted file counts as 0 (keepalived: "treat as though the value
 *   is 0"); the wiring sends `null` for those. Text without a number is 0 too (strtol).
 * - A number outside the 32-bit range is ignored, the last value stands ("Invalid number ...
 *   ignoring"); fractions are truncated as strtol stops at the dot.
 * - Only a changed value is reported (update_track_file_status returns early on the same
 *   value); the first value is always reported.
 * `ok` is `value === 0` (keepalived: "a 0 status means success" for weight 0); each instance
 * applies its own weight and `reverse` to the value (see vrrp/priority.ts).
 * States: `init` until the first value, then `zero` / `nonzero`.
 */
import { assign, setup } from 'xstate';

export interface FileTrackerInput {
  name: string;
}

export type FileTrackerEvent = { type: 'FILE_VALUE'; value: number | null };

export interface FileTrackerContext {
  name: string;
  value: number | null;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX_PLUS_ONE = 2 ** 31;

/** The value keepalived would use for what the file held, or undefined to ignore it. */
export function fileValue(raw: number | null): number | undefined {
  if (raw === null || Number.isNaN(raw)) return 0;
  const value = Math.trunc(raw);
  if (!Number.isFinite(value) || value < INT32_MIN || value > INT32_MAX_PLUS_ONE) return undefined;
  return value;
}

const reportValue = {
  type: 'report' as const,
  params: ({ context }: { context: FileTrackerContext }) => ({ ok: context.value === 0, value: context.value ?? 0 }),
};

export const fileTrackerMachine = setup({
  types: {
    input: {} as FileTrackerInput,
    context: {} as FileTrackerContext,
    events: {} as FileTrackerEvent,
  },
  actions: {
    report: (_, _params: { ok: boolean; value: number }) => {},
    store: assign({ value: ({ context, event }) => fileValue(event.value) ?? context.value }),
  },
  guards: {
    changedToZero: ({ context, event }) => fileValue(event.value) === 0 && context.value !== 0,
    changedToNonZero: ({ context, event }) => {
      const value = fileValue(event.value);
      return value !== undefined && value !== 0 && value !== context.value;
    },
  },
}).createMachine({
  id: 'fileTracker',
  context: ({ input }) => ({ name: input.name, value: null }),
  initial: 'init',
  on: {
    FILE_VALUE: [
      { guard: 'changedToZero', target: '.zero', actions: ['store', reportValue] },
      { guard: 'changedToNonZero', target: '.nonzero', actions: ['store', reportValue] },
    ],
  },
  states: {
    init: {},
    zero: {},
    nonzero: {},
  },
});
