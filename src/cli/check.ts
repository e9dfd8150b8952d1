import { loadConfig } from '../config/load.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import { toJsonSafe } from '../io/journal/jsonSafe.js';
import { parseCommandArgs } from './args.js';

/** `halo check -c FILE...`: validate, print warnings and the parsed model (secrets redacted). */
export async function checkCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    config: { type: 'string', short: 'c', multiple: true },
    quiet: { type: 'boolean', short: 'q' },
  });
  const cfg = await loadConfig(values.config ?? []);
  for (const w of cfg.warnings) process.stderr.write(`${formatDiagnostic(w)}\n`);
  if (!values.quiet) process.stdout.write(`${JSON.stringify(toJsonSafe({ vrrp: cfg.vrrp, lb: cfg.lb }), null, 2)}\n`);
  process.stderr.write(`configuration OK: ${cfg.files.map((f) => `${f.path} (${f.kind})`).join(', ')}\n`);
  return 0;
}
