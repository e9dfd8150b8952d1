import { fromCallback } from 'xstate';
import type { AnnouncerEvent, AnnouncerInput } from '../../../src/machines/vrrp/vrrpInstance.types.js';

type Record = (name: string) => (_args: unknown, params?: unknown) => void;

/**
 * A GARP announcer for the VRRP instance that records each burst as a `sendGarp` call with its
 * repeat (the first one when it starts, the others as BURST arrives), and its stop as
 * `onStop`, so tests read GARPs as they read the chart's named actions.
 */
export function announcerSpy(record: Record, onStop: () => void = () => undefined) {
  return fromCallback<AnnouncerEvent, AnnouncerInput>(({ input, receive }) => {
    record('sendGarp')(undefined, { repeat: input.repeat });
    receive((e) => record('sendGarp')(undefined, { repeat: e.repeat }));
    return onStop;
  });
}
