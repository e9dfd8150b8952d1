/**
 * `halo events [--follow] [--node N] [--actor A] [--since T] [--until T] [--json]`: the audit
 * trail. Reads JetStream (an ordered consumer) when NATS is configured (`--nats URL` or
 * HALO_NATS_URL), else the local journal under `--state-dir`/journal (eventSource.ts). One line
 * per transition, or one envelope per line with `--json`. Corrupt journal lines are skipped
 * with a warning on stderr and counted; they never stop the reader.
 */
import { HaloError } from '../errors.js';
import type { EventQuery } from '../io/journal/eventQuery.js';
import { parseCommandArgs } from './args.js';
import { commandEvents, joinTimeArgs, parseTimeArg, SOURCE_HELP, SOURCE_OPTIONS, TIME_HELP } from './eventArgs.js';
import { formatEnvelope } from './eventFormat.js';

/** Writes honouring back-pressure; resolves false once stdout is gone (`halo events | head`). */
function stdoutWriter(): (text: string) => Promise<boolean> {
  let closed = false;
  process.stdout.on('error', () => {
    closed = true;
  });
  return async (text) => {
    if (closed) return false;
    if (!process.stdout.write(text)) await new Promise((resolve) => process.stdout.once('drain', resolve));
    return !closed;
  };
}

/** Aborts on SIGINT/SIGTERM, so `--follow` ends cleanly. */
function abortOnSignals(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const abort = (): void => ac.abort();
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off('SIGINT', abort);
      process.off('SIGTERM', abort);
    },
  };
}

const HELP = `usage: halo events [--follow] [--node N] [--actor A] [--since T] [--until T] [--json]
Prints the transitions of every actor, oldest first.
  -f, --follow      keep printing new events (Ctrl-C to stop)
  --node N          only node N
  --actor A         only actor A (exact id, or a glob: 'vrrp:*', 'server:proxy/*')
  --since T         events at or after T
  --until T         events at or before T
  --json            one JSON envelope per line
${SOURCE_HELP}
${TIME_HELP}
`;

export async function eventsCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(joinTimeArgs(argv, ['--since', '--until']), {
    ...SOURCE_OPTIONS,
    follow: { type: 'boolean', short: 'f' },
    node: { type: 'string' },
    actor: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const now = Date.now();
  const query: EventQuery = {
    ...(values.node === undefined ? {} : { node: values.node }),
    ...(values.actor === undefined ? {} : { actor: values.actor }),
    ...(values.since === undefined ? {} : { since: parseTimeArg(values.since, now) }),
    ...(values.until === undefined ? {} : { until: parseTimeArg(values.until, now) }),
  };
  if (values.follow && query.until !== undefined) {
    throw new HaloError('HALO_E_USAGE', '--follow and --until exclude each other');
  }
  if (query.since !== undefined && query.until !== undefined && query.since > query.until) {
    throw new HaloError('HALO_E_USAGE', `--since ${values.since} is after --until ${values.until}`);
  }
  const write = stdoutWriter();
  const stop = abortOnSignals();
  try {
    for await (const env of commandEvents(values, { query, follow: values.follow ?? false, signal: stop.signal })) {
      if (!(await write(`${values.json ? JSON.stringify(env) : formatEnvelope(env)}\n`))) break;
    }
  } finally {
    stop.dispose();
  }
  return 0;
}
