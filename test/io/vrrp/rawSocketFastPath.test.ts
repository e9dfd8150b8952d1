import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import raw from 'raw-socket';
import { RAW_SOCKET_VERSION, rawSocketFastPath } from '../../../src/io/vrrp/rawSocketFastPath.js';

/** RFC 3692's experimental protocol number: nothing on the host listens for it. */
const EXPERIMENTAL_PROTOCOL = 253;

test('the installed raw-socket is the version whose internals the fast path was written against', () => {
  const { version } = createRequire(import.meta.url)('raw-socket/package.json') as { version: string };
  assert.equal(
    version,
    RAW_SOCKET_VERSION,
    'a new raw-socket: re-check rawSocketFastPath.ts against its index.js and raw.cc',
  );
});

test(
  'a real raw-socket has the internals relied on: a send goes out at once, ' +
    "and readability is heard before 'message'",
  async () => {
    const socket = raw.createSocket({ protocol: EXPERIMENTAL_PROTOCOL });
    try {
      const fast = rawSocketFastPath(socket, 'lo');
      const order: string[] = [];
      const payload = Buffer.from(`halo fast path ${process.pid} ${performance.now()}`);
      const arrived = new Promise<void>((resolve) => {
        fast.onReadable(() => order.push('readable'));
        socket.on('message', (buffer) => {
          // The kernel hands a raw IPv4 socket the whole datagram: our payload follows the header.
          if (!buffer.includes(payload)) return;
          order.push('message');
          resolve();
        });
      });
      assert.equal(fast.send(payload, '127.0.0.1'), true, 'written by sendto() at once, not queued');
      await Promise.race([
        arrived,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('our datagram never came back on loopback')), 2_000),
        ),
      ]);
      assert.equal(order.at(-2), 'readable', `heard readable before the message: ${order.join(', ')}`);
    } finally {
      socket.close();
    }
  },
);

/** A socket with raw-socket 1.8.1's internals, whose native send does what `send` says. */
function fakeSocket(send: () => void, queued: unknown[] = []): raw.Socket {
  return { requests: queued, wrap: { send, prependListener: () => undefined } } as unknown as raw.Socket;
}

test('a full socket buffer (EAGAIN) and a non-empty queue send through the queue; any other failure throws', () => {
  let calls = 0;
  const full = rawSocketFastPath(
    fakeSocket(() => {
      calls++;
      throw new Error('Resource temporarily unavailable');
    }),
    'eth0',
  );
  assert.equal(full.send(Buffer.alloc(20), '192.0.2.1'), false);
  const behind = rawSocketFastPath(
    fakeSocket(() => calls++, [{}]),
    'eth0',
  );
  assert.equal(behind.send(Buffer.alloc(20), '192.0.2.1'), false, 'order is kept behind a queued send');
  assert.equal(calls, 1, 'nothing written past the queue');
  const broken = rawSocketFastPath(
    fakeSocket(() => {
      throw new Error('Network is unreachable');
    }),
    'eth0',
  );
  assert.throws(() => broken.send(Buffer.alloc(20), '192.0.2.1'), /Network is unreachable/);
});

test(
  'a raw-socket whose internals changed shape is refused with HALO_E_VRRP_SOCKET, ' + 'naming the version relied on',
  () => {
    const changed = { wrap: { send: () => undefined } } as unknown as raw.Socket;
    assert.throws(
      () => rawSocketFastPath(changed, 'eth0'),
      (err: Error & { code?: string }) => err.code === 'HALO_E_VRRP_SOCKET' && err.message.includes(RAW_SOCKET_VERSION),
    );
  },
);
