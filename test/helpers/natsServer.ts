/**
 * A private JetStream-enabled nats-server for one test: loopback only, a free port, its own
 * store directory. Stopped by pid (never by name), so a system nats-server on 4222 is untouched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild } from '../../src/cli/nodeProcess.js';
import { freePort } from '../io/proxy/tcpFixtures.js';
import { waitFor } from './netns.js';

export interface NatsServer {
  port: number;
  url: string;
  storeDir: string;
  pid(): number | undefined;
  /** SIGKILL: no clean shutdown, no store flush, as a crash or power loss would leave it. */
  kill9(): Promise<void>;
  /** Start again on the same port and store (after kill9 or stop). */
  restart(): Promise<void>;
  /** SIGTERM, wait for exit, remove the store. */
  stop(): Promise<void>;
}

export const NATS_SERVER_BIN = '/usr/sbin/nats-server';
/** A JetStream server flushes its store on SIGTERM: seconds on a busy disk, never more. */
const STOP_MS = 10_000;

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function waitForPort(port: number, proc: ChildProcess, timeoutMs: number): Promise<void> {
  await waitFor(
    `nats-server listening on 127.0.0.1:${port}`,
    async () => {
      if (proc.exitCode !== null) throw new Error(`nats-server exited with ${proc.exitCode}`);
      return portOpen(port);
    },
    timeoutMs,
    25,
  );
}

export async function startNatsServer(opts: { port?: number } = {}): Promise<NatsServer> {
  const port = opts.port ?? (await freePort());
  const storeDir = await mkdtemp(join(tmpdir(), 'halo-nats-'));
  let proc: ChildProcess | null = null;

  const launch = async (): Promise<void> => {
    const p = spawn(NATS_SERVER_BIN, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], {
      stdio: 'ignore',
    });
    proc = p;
    await waitForPort(port, p, 10_000);
  };

  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    const p = proc;
    proc = null;
    if (!p || p.pid === undefined) return;
    await stopChild(p, sig, STOP_MS, 'nats-server');
  };

  await launch();
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    storeDir,
    pid: () => proc?.pid,
    kill9: () => signal('SIGKILL'),
    restart: launch,
    stop: async () => {
      await signal('SIGTERM');
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}
