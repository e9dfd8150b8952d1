import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { type LineSink, type ThrottleTimers, throttledLog } from '../../src/io/throttledLog.js';

/** Timers that fire only when the test moves the time. */
class FakeTimers implements ThrottleTimers {
  private now = 0;
  private pending = new Map<number, { at: number; fire: () => void }>();
  private nextId = 1;

  setTimeout(fire: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.pending.set(id, { at: this.now + ms, fire });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  get armed(): number {
    return this.pending.size;
  }

  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.pending].filter(([, t]) => t.at <= until).sort(([, a], [, b]) => a.at - b.at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].fire();
    }
    this.now = until;
  }
}

type Line = [string, Record<string, unknown>, string];

function capture(): { sink: LineSink; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (obj: Record<string, unknown>, msg: string) => {
    lines.push([level, obj, msg]);
  };
  return { sink: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

describe('throttledLog', () => {
  it('logs each key in full at once, then one summary per interval with counts by key and source', () => {
    const timers = new FakeTimers();
    const { sink, lines } = capture();
    const fields = { dev: 'eth0' };
    const log = throttledLog(sink, { level: 'warn', msg: 'advert dropped', fields, intervalMs: 1000, timers });
    for (let i = 0; i < 1000; i++) log.note('auth', { reason: 'auth', n: i }, i % 2 ? '10.0.0.1' : '10.0.0.2');
    log.note('ttl', { reason: 'ttl' }, '10.0.0.3');
    log.note('ttl', { reason: 'ttl' }, '10.0.0.3');
    assert.deepEqual(lines, [
      ['warn', { dev: 'eth0', reason: 'auth', n: 0 }, 'advert dropped'],
      ['warn', { dev: 'eth0', reason: 'ttl' }, 'advert dropped'],
    ]);
    timers.advance(999);
    assert.equal(lines.length, 2, 'no summary before the interval ends');
    timers.advance(1);
    assert.deepEqual(lines[2], [
      'warn',
      {
        dev: 'eth0',
        repeats: { auth: 999, ttl: 1 },
        sources: { '10.0.0.1': 500, '10.0.0.2': 499, '10.0.0.3': 1 },
        intervalMs: 1000,
      },
      'advert dropped (repeats)',
    ]);
    log.note('auth', { reason: 'auth' }, '10.0.0.1');
    timers.advance(1000);
    const later = lines.slice(3).map(([, obj]) => obj.repeats);
    assert.deepEqual(later, [{ auth: 1 }], 'a key already shown stays summarized');
  });

  it('forgets the keys after a quiet interval, so the next burst is logged in full at once', () => {
    const timers = new FakeTimers();
    const { sink, lines } = capture();
    const log = throttledLog(sink, { level: 'debug', msg: 'dropped', intervalMs: 1000, timers });
    log.note('auth', { reason: 'auth' });
    log.note('auth', { reason: 'auth' });
    timers.advance(1000);
    timers.advance(1000);
    assert.equal(timers.armed, 0, 'no timer runs while nothing happens');
    log.note('auth', { reason: 'auth', again: true });
    assert.deepEqual(
      lines.map(([, , msg]) => msg),
      ['dropped', 'dropped (repeats)', 'dropped'],
    );
    assert.deepEqual(lines[2]![1], { reason: 'auth', again: true });
  });

  it('writes a few lines per interval however many keys and sources a flood brings', () => {
    const timers = new FakeTimers();
    const { sink, lines } = capture();
    const log = throttledLog(sink, { level: 'info', msg: 'refused', intervalMs: 1000, timers });
    for (let i = 0; i < 50; i++) log.note(`k${i}`, {}, `192.0.2.${i}`);
    for (let i = 0; i < 50; i++) log.note(`k${i}`, {}, `192.0.2.${i}`);
    timers.advance(1000);
    assert.equal(lines.length, 6, 'five keys in full, then one summary');
    const summary = lines[5]![1];
    const repeats = summary.repeats as Record<string, number>;
    assert.equal(Object.keys(repeats).length, 32, 'thirty-two keys named');
    assert.equal(repeats.k49, undefined);
    assert.equal(repeats.k5, 2);
    const named = Object.values(repeats).reduce((a, b) => a + b, 0);
    assert.equal(named + (summary.otherKeys as number), 95, 'every repeat counted, the unnamed keys summed');
    const sources = summary.sources as Record<string, number>;
    assert.equal(Object.keys(sources).length, 10, 'ten sources named');
    const fromNamed = Object.values(sources).reduce((a, b) => a + b, 0);
    assert.equal(fromNamed + (summary.otherSources as number), 95, 'the occurrences from other sources summed');
  });

  it('close writes what is pending and stops the timer', () => {
    const timers = new FakeTimers();
    const { sink, lines } = capture();
    const log = throttledLog(sink, { level: 'error', msg: 'failed', intervalMs: 1000, timers });
    log.note('x', {});
    log.note('x', {});
    log.close();
    assert.equal(timers.armed, 0);
    assert.deepEqual(
      lines.map(([level, obj, msg]) => [level, obj.repeats, msg]),
      [
        ['error', undefined, 'failed'],
        ['error', { x: 1 }, 'failed (repeats)'],
      ],
    );
  });

  it('writes to a pino logger as its sink', () => {
    const out: string[] = [];
    const logger = pino({ base: {}, timestamp: false }, { write: (s: string) => out.push(s) });
    const log = throttledLog(logger, { level: 'warn', msg: 'dropped', timers: new FakeTimers() });
    log.note('auth', { reason: 'auth' });
    assert.deepEqual(
      out.map((s) => JSON.parse(s)),
      [{ level: 40, reason: 'auth', msg: 'dropped' }],
    );
  });
});
