/**
 * Real TCP pieces for the proxy tests: named echo backends that answer `<name>:<what the
 * client sent>` once the client half-closes, and a client that sends, half-closes and reads
 * until the end. A backend can be killed (refuses from then on) and revived on its port.
 */
import { createServer, type Server, type Socket, connect } from 'node:net';

export interface Backend {
  name: string;
  port: number;
  /** Connections accepted so far. */
  accepted: number;
  /** Sockets currently open. */
  open: Set<Socket>;
  /** Every chunk's first bytes, in arrival order (send-proxy tests read the header here). */
  firstBytes: Buffer[];
  kill(): Promise<void>;
  revive(): Promise<void>;
}

export async function startBackend(name: string, port = 0): Promise<Backend> {
  let server: Server;
  const b: Backend = {
    name,
    port,
    accepted: 0,
    open: new Set(),
    firstBytes: [],
    kill: async () => {
      for (const s of b.open) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
    revive: async () => {
      await listen();
    },
  };
  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      server = createServer({ allowHalfOpen: true }, (s) => {
        b.accepted++;
        b.open.add(s);
        const chunks: Buffer[] = [];
        s.on('error', () => undefined);
        s.on('data', (d: Buffer) => {
          if (chunks.length === 0) b.firstBytes.push(d);
          chunks.push(d);
        });
        s.on('end', () => s.end(`${name}:${Buffer.concat(chunks).toString('latin1')}`));
        s.on('close', () => b.open.delete(s));
      });
      server.once('error', reject);
      server.listen(b.port, '127.0.0.1', () => {
        b.port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  await listen();
  return b;
}

/** Send `payload`, half-close, read to the end. Rejects on a reset or an empty answer. */
export function request(port: number, payload: string, timeoutMs = 5_000, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    s.on('connect', () => s.end(payload));
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    s.on('end', () => {
      clearTimeout(timer);
      s.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      if (text === '') reject(new Error('connection closed without an answer'));
      else resolve(text);
    });
  });
}

/** An open client that has sent `payload` but not closed: it holds its server slot. */
export function hold(port: number, payload = ''): Promise<{ socket: Socket; finish(): Promise<string> }> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    const ended = new Promise<string>((res) => {
      s.on('data', (d: Buffer) => chunks.push(d));
      s.on('end', () => res(Buffer.concat(chunks).toString('latin1')));
      s.on('close', () => res(Buffer.concat(chunks).toString('latin1')));
    });
    s.on('error', reject);
    s.on('connect', () => {
      if (payload) s.write(payload);
      resolve({
        socket: s,
        finish: () => {
          s.end();
          return ended;
        },
      });
    });
  });
}

/** A port nobody listens on right now (bind 0, read it, close). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export { sleep } from '../../../src/io/sleep.js';
