#!/usr/bin/env node
/**
 * `halo <command>`: the one entry point. Each command lives in its own module; errors with a
 * HALO_E_* code are printed as one clear line (plus the config findings) and exit 1.
 */
import nodeModule from 'node:module';
import { isHaloError } from '../errors.js';

// V8's compile cache (Node >= 22.1; NODE_COMPILE_CACHE names its directory): a restart reads the
// modules it compiled last time instead of compiling them again. Node 20 has none: nothing happens.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  run: {
    summary: 'run the daemon in the foreground (-c FILE ...)',
    load: async () => (await import('./run.js')).runCommandMain,
  },
  check: {
    summary: 'validate config files and print the model (-c FILE ...)',
    load: async () => (await import('./check.js')).checkCommand,
  },
  events: {
    summary: 'print the audit trail (--follow, --node, --actor, --since, --until, --json)',
    load: async () => (await import('./events.js')).eventsCommand,
  },
  replay: {
    summary: 'state of every actor at a time (--at T), --timeline ACTOR, --verify',
    load: async () => (await import('./replay.js')).replayCommand,
  },
  alerts: {
    summary: 'run alert rules on the event stream (-c alerts.yaml)',
    load: async () => (await import('./alerts.js')).alertsCommand,
  },
  agent: {
    summary: 'health-check agent for haproxy httpchk: `agent mysql --listen ADDR:PORT --user U ...`',
    load: async () => (await import('./agent.js')).agentCommand,
  },
  demo: {
    summary: 'two halo nodes in network namespaces: election, kill -9, takeover (root)',
    load: async () => (await import('./demo.js')).demoCommand,
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  halo ${name.padEnd(6)} ${c.summary}`);
  return `usage: halo <command> [options]\n${lines.join('\n')}\n`;
}

async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`halo: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  return (await command.load())(rest);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (isHaloError(err)) process.stderr.write(`halo: ${err.code}: ${err.message}\n`);
    else process.stderr.write(`halo: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
