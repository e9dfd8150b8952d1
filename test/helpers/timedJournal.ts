/**
 * An actor whose every transition goes through the real mapper into a journal, with the time
 * of each append recorded: what the journal benchmark and the full-disk test both measure.
 */
import { type AnyStateMachine, createActor } from 'xstate';
import { createTransitionMapper } from '../../src/actors/transitionMapper.js';
import type { FileJournal } from '../../src/io/journal/fileJournal.js';

export function journaledActor(
  machine: AnyStateMachine,
  journal: FileJournal,
  node: string,
): { actor: ReturnType<typeof createActor>; appendNs: number[] } {
  const appendNs: number[] = [];
  const mapper = createTransitionMapper({
    node,
    boot: 1,
    sink: (env) => {
      const t0 = process.hrtime.bigint();
      journal.append(env);
      appendNs.push(Number(process.hrtime.bigint() - t0));
    },
  });
  const actor = createActor(machine, { systemId: 'vrrp:VI_1', inspect: mapper.onInspect }).start();
  return { actor, appendNs };
}
