/**
 * `halo alerts -c alerts.yaml`: pages on events. A durable JetStream consumer (explicit ack)
 * matches every envelope against the rules and runs their actions; fired actions are stored in
 * <state dir>/alerts-<consumer>.json before the ack, so a restart never pages twice. Runs until
 * SIGTERM/SIGINT.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HaloError } from '../errors.js';
import { startAlertConsumer } from '../io/alerts/alertConsumer.js';
import { openAlertStore } from '../io/alerts/alertStore.js';
import { parseAlertsYaml } from '../io/alerts/rules.js';
import { createLogger } from '../io/log.js';
import { parseCommandArgs } from './args.js';
import { natsFromArgs } from './eventArgs.js';
import { untilStopSignal } from './signals.js';

const HELP = `usage: halo alerts -c alerts.yaml [--nats URL] [--state-dir DIR] [--check]
Runs alert rules on the JetStream event stream (see examples/alerts.yaml).
  -c, --config FILE  the rules
  --nats URL[,URL]   NATS servers (default: the file's nats:, then HALO_NATS_URL)
  --state-dir DIR    where the fired-action store lives (default: the file's state_dir, then /var/lib/halo)
  --check            validate the file, print the rules, exit
  --log-level LEVEL  pino level (default info)
`;

export async function alertsCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    config: { type: 'string', short: 'c' },
    nats: { type: 'string' },
    'state-dir': { type: 'string' },
    check: { type: 'boolean' },
    'log-level': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.config) throw new HaloError('HALO_E_USAGE', 'no rules file given (use -c alerts.yaml)');
  let text: string;
  try {
    text = await readFile(values.config, 'utf8');
  } catch (err) {
    throw new HaloError(
      'HALO_E_CONFIG_IO',
      `cannot read ${values.config}: ${(err as Error).message}`,
      { path: values.config },
      { cause: err },
    );
  }
  const cfg = parseAlertsYaml(text, values.config);
  if (values.check) {
    for (const r of cfg.rules)
      process.stdout.write(
        `${r.name}: match ${JSON.stringify(r.match)}${r.all ? ` all ${JSON.stringify(r.all)}` : ''} ` +
          `→ ${r.actions.map((a) => a.kind).join(', ')}\n`,
      );
    return 0;
  }
  const nats = natsFromArgs(values.nats, cfg.nats);
  if (!nats)
    throw new HaloError(
      'HALO_E_USAGE',
      'halo alerts reads JetStream: give --nats URL, nats: in the file, or HALO_NATS_URL',
    );
  const log = createLogger({ ...(values['log-level'] ? { level: values['log-level'] } : {}) }).child({
    actor: `alerts:${cfg.consumer}`,
  });
  const store = await openAlertStore(
    join(values['state-dir'] ?? cfg.stateDir ?? '/var/lib/halo', `alerts-${cfg.consumer}.json`),
  );
  const consumer = await startAlertConsumer({
    nats,
    ...(cfg.stream === undefined ? {} : { stream: cfg.stream }),
    consumer: cfg.consumer,
    start: cfg.start,
    rules: cfg.rules,
    store,
    log,
  });
  log.info({ rules: cfg.rules.map((r) => r.name), store: store.file }, 'alerts running');
  await untilStopSignal();
  await consumer.stop();
  log.info({ stats: consumer.stats }, 'alerts stopped');
  return 0;
}
