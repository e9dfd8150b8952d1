/**
 * The bytes the seed's /opt/mysqlchk writes (bash `echo -e "...\r\n"` adds its own "\n", so
 * every line ends "\r\n\n" and the "headers" land in the body), and a raw TCP responder that
 * answers like xinetd running it: write at once without reading the request, then close.
 */
import { createServer, type Server } from 'node:net';

const seedLines = (lines: string[]) => lines.map((l) => `${l}\r\n\n`).join('');

export const SEED_OK = seedLines([
  'HTTP/1.1 200 OK',
  'Content-Type: text/html',
  'Content-Length: 43',
  '',
  'MySQL is running.',
  '',
]);

export const seedFail = (errText: string) =>
  seedLines([
    'HTTP/1.1 503 Service Unavailable',
    'Content-Type: text/html',
    'Content-Length: 42',
    '',
    'MySQL is *down*.',
  ]) +
  `${errText}\n` +
  seedLines(['']);

export async function rawResponder(answer: string): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.end(answer, 'latin1');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (!addr || typeof addr !== 'object') throw new Error('no address');
  return { server, port: addr.port };
}
