/**
 * `halo replay [--at T] [--node N]`: every actor's state at time T rebuilt from the events
 * (projection.ts). `--timeline ACTOR` prints one actor's transitions; `--verify` re-runs every
 * recorded transition through the actor's pure machine and fails on the first divergence
 * (replayVerify.ts). Reads the same sources as `halo events`.
 */
import { type ActorState, actorTimeline, project, type Projection } from '../actors/projection.js';
import { verifyTransitions, type VerifyReport } from '../actors/replayVerify.js';
import type { EventEnvelope } from '../io/journal/envelope.js';
import type { EventQuery } from '../io/journal/eventQuery.js';
import { parseCommandArgs } from './args.js';
import { commandEvents, joinTimeArgs, parseTimeArg, SOURCE_HELP, SOURCE_OPTIONS, TIME_HELP } from './eventArgs.js';
import { contextSummary, formatEnvelope } from './eventFormat.js';

const HELP = `usage: halo replay [--at T] [--node N] [--json]
       halo replay --timeline ACTOR [--node N] [--json]
       halo replay --verify [--node N]
Rebuilds from the events the state of every actor (node → actor → state, context, since).
  --at T            the instant to rebuild (default now)
  --node N          only node N
  --timeline ACTOR  print the transitions of ACTOR (e.g. vrrp:VI_1) instead
  --verify          replay every recorded transition through its pure machine: exit 1 on the
                    first one whose recorded to-state does not come out; transitions that
                    cannot be replayed are listed with the reason
  --json            machine-readable output
${SOURCE_HELP}
${TIME_HELP}
`;

/** node → actor → ActorState as plain objects (`since` stays wall-clock ms). */
export function projectionToJson(p: Projection): Record<string, Record<string, ActorState>> {
  return Object.fromEntries([...p].map(([node, actors]) => [node, Object.fromEntries(actors)]));
}

function formatProjection(p: Projection, at: number): string {
  const lines = [`state at ${new Date(at).toISOString()}`];
  for (const [node, actors] of p) {
    lines.push(node);
    const width = Math.max(...[...actors.keys()].map((a) => a.length));
    for (const s of actors.values()) {
      const summary = contextSummary(s.context);
      lines.push(
        `  ${s.actor.padEnd(width)}  ${s.state}  ` +
          `since ${new Date(s.since).toISOString()}${summary ? `  ${summary}` : ''}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

function formatVerify(r: VerifyReport): string {
  const lines = [
    `verify: ${r.checked} transitions checked: ${r.verified} reproduced, ${r.verifiedFromRecordedContext} reproduced ` +
      `from the context they recorded (context changed between journaled transitions), ${r.skipped} first snapshots ` +
      `skipped`,
  ];
  for (const [reason, n] of Object.entries(r.unverifiable)) lines.push(`verify: NOT VERIFIED ${n}: ${reason}`);
  const d = r.firstDivergence;
  if (d) {
    lines.push(
      `verify: DIVERGENCE (${r.divergences} in all); first at ${d.id} ${d.actor} (${d.machine}): ` +
        `from ${d.from} on ${d.event} the machine goes to ${d.got}, the journal says ${d.expected}`,
    );
  } else {
    lines.push('verify: ok');
  }
  return `${lines.join('\n')}\n`;
}

export async function replayCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(joinTimeArgs(argv, ['--at']), {
    ...SOURCE_OPTIONS,
    at: { type: 'string' },
    node: { type: 'string' },
    timeline: { type: 'string' },
    verify: { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const at = values.at === undefined ? Date.now() : parseTimeArg(values.at);
  const query: EventQuery = {
    ...(values.node === undefined ? {} : { node: values.node }),
    ...(values.timeline === undefined ? {} : { actor: values.timeline }),
    ...(values.verify || values.timeline !== undefined ? {} : { until: at }),
  };
  const envelopes: EventEnvelope[] = [];
  for await (const env of commandEvents(values, { query })) envelopes.push(env);

  if (values.verify) {
    const report = verifyTransitions(envelopes);
    process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : formatVerify(report));
    return report.divergences > 0 ? 1 : 0;
  }
  if (values.timeline !== undefined) {
    const steps = actorTimeline(envelopes, values.timeline, values.node);
    process.stdout.write(steps.map((e) => `${values.json ? JSON.stringify(e) : formatEnvelope(e)}\n`).join(''));
    return 0;
  }
  const projection = project(envelopes, { at, ...(values.node === undefined ? {} : { node: values.node }) });
  process.stdout.write(
    values.json
      ? `${JSON.stringify({ at: new Date(at).toISOString(), nodes: projectionToJson(projection) })}\n`
      : formatProjection(projection, at),
  );
  return 0;
}
