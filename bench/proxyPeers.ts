/**
 * The proxy benchmark's separate processes, one script, two roles:
 *   backend <echoPort> <bulkPort>   echo server (keep-alive request/response, connection rate)
 *                                   and a source that streams zeros until the client leaves
 *   load <mode> <port> <conns> <ms> rr | cps | bulk; prints one JSON line with the result
 */
import { connect, createServer, type Socket } from 'node:net';

const MSG = Buffer.alloc(64, 0x61);

function backend(echoPort: number, bulkPort: number): void {
  createServer({ noDelay: true }, (s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  }).listen(echoPort, '127.0.0.1');
  const chunk = Buffer.alloc(64 * 1024);
  createServer((s) => {
    s.on('error', () => undefined);
    const pump = (): void => {
      while (!s.destroyed && s.write(chunk));
    };
    s.on('drain', pump);
    pump();
  }).listen(bulkPort, '127.0.0.1', () => process.stdout.write('ready\n'));
}

async function load(mode: string, port: number, conns: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  const lat: number[] = [];
  let ops = 0;
  let bytes = 0;
  const open = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1', noDelay: true });
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
  const worker = async (): Promise<void> => {
    if (mode === 'rr') {
      const s = await open();
      while (Date.now() < end) {
        const t0 = process.hrtime.bigint();
        await new Promise<void>((resolve) => {
          let got = 0;
          const onData = (d: Buffer): void => {
            got += d.length;
            if (got >= MSG.length) {
              s.off('data', onData);
              resolve();
            }
          };
          s.on('data', onData);
          s.write(MSG);
        });
        if (lat.length < 200_000) lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
        ops++;
      }
      s.destroy();
    } else if (mode === 'cps') {
      while (Date.now() < end) {
        const s = await open();
        await new Promise<void>((resolve) => {
          s.once('data', () => resolve());
          s.once('error', () => resolve());
          s.write('x');
        });
        s.destroy();
        ops++;
      }
    } else {
      const s = await open();
      s.on('data', (d: Buffer) => {
        bytes += d.length;
      });
      await new Promise((r) => setTimeout(r, Math.max(0, end - Date.now())));
      s.destroy();
    }
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: conns }, () => worker().catch(() => undefined)));
  const secs = (Date.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const q = (p: number): number => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0;
  process.stdout.write(`${JSON.stringify({ perSec: ops / secs, mbPerSec: bytes / secs / 1e6, p50: q(0.5), p99: q(0.99) })}\n`);
}

const [role, ...args] = process.argv.slice(2);
if (role === 'backend') backend(Number(args[0]), Number(args[1]));
else void load(args[0]!, Number(args[1]), Number(args[2]), Number(args[3]));
