import assert from 'node:assert/strict';
import type { Server } from 'node:net';
import { describe, it } from 'node:test';
import { parseHaproxyText } from '../../../src/config/haproxy/parse.js';
import { sinkOf } from '../../../src/io/proxy/engine.js';
import { FrontendRuntime } from '../../../src/io/proxy/frontend.js';
import { throttledLog } from '../../../src/io/throttledLog.js';
import { recorder } from './engineHarness.js';
import { freePort } from './tcpFixtures.js';

describe('frontend listeners', () => {
  it(
    'a listener error recurring with every client (EMFILE on accept) is logged once, then summarized; ' +
      'close still closes',
    async () => {
      const port = await freePort();
      const text =
        `defaults\n  mode tcp\n  timeout client 5s\n  timeout server 5s\nlisten p\n` +
        `  bind 127.0.0.1:${port}\n  server s 127.0.0.1:9\n`;
      const fe = parseHaproxyText(text, 'test.cfg').config.frontends[0]!;
      const { events, rec } = recorder();
      const errors = throttledLog(sinkOf(events), { level: 'error', msg: 'listener error' });
      const limit = { max: 10, active: 0 };
      const runtime = new FrontendRuntime(
        fe,
        { frontend: 'p' },
        limit,
        events,
        () => undefined,
        () => false,
        errors,
      );
      await Promise.all(runtime.setWanted(() => true, true));
      // The accept failure comes from the kernel; the listening socket reports it as this event.
      const server = (runtime as unknown as { listeners: Array<{ server: Server }> }).listeners[0]!.server;
      const emfile = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' });
      for (let i = 0; i < 1000; i++) server.emit('error', emfile);
      errors.close();
      runtime.close();
      assert.equal(server.listening, false, 'the listener still closes after its errors');
      assert.deepEqual(
        rec.logs.map((l) => [l.msg, l.obj.err ?? l.obj.repeats]),
        [
          ['listener error', 'accept EMFILE'],
          ['listener error (repeats)', { [`p 127.0.0.1:${port} EMFILE`]: 999 }],
        ],
      );
    },
  );
});
