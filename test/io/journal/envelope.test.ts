import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createActor, setup } from 'xstate';
import {
  escapeSubjectToken,
  isEnvelope,
  parseEnvelopeId,
  stateValueToString,
  subjectFor,
  unescapeSubjectToken,
} from '../../../src/io/journal/envelope.js';
import { envelope } from './journalFixtures.js';

describe('subjectFor', () => {
  it('builds halo.events.<node>.<kind>.<name> from the actor id', () => {
    assert.equal(subjectFor({ node: 'db1', actor: 'vrrp:VI_1' }), 'halo.events.db1.vrrp.VI_1');
    assert.equal(subjectFor({ node: 'db1', actor: 'server:proxy/db1' }), 'halo.events.db1.server.proxy/db1');
    assert.equal(subjectFor({ node: 'db1', actor: 'journal' }), 'halo.events.db1.journal.%');
  });

  it('escapes dots, wildcards, spaces and percent so a name cannot add or widen tokens', () => {
    const s = subjectFor({ node: 'db1.example.com', actor: 'track:chk *all> x%' });
    assert.equal(s, 'halo.events.db1%2Eexample%2Ecom.track.chk%20%2Aall%3E%20x%25');
    assert.equal(s.split('.').length, 5);
    assert.doesNotMatch(s, /[\s*>]/);
  });

  it('round-trips every token, empty and non-ASCII included', () => {
    for (const t of ['', '%', 'VI_1', 'a.b', 'ü name\t>*', '%25'])
      assert.equal(unescapeSubjectToken(escapeSubjectToken(t)), t);
    assert.notEqual(escapeSubjectToken(''), escapeSubjectToken('%'));
  });
});

describe('stateValueToString', () => {
  it('flattens compound values with dots and lists parallel regions with commas', () => {
    assert.equal(stateValueToString('backup'), 'backup');
    assert.equal(stateValueToString({ master: 'sending' }), 'master.sending');
    const m = setup({}).createMachine({
      type: 'parallel',
      states: {
        link: { initial: 'up', states: { up: {} } },
        role: { initial: 'backup', states: { backup: { initial: 'waiting', states: { waiting: {} } } } },
      },
    });
    const a = createActor(m).start();
    assert.equal(stateValueToString(a.getSnapshot().value), 'link.up,role.backup.waiting');
    a.stop();
    assert.equal(stateValueToString({ p: { a: {}, b: 'x' } }), 'p.a,p.b.x');
  });
});

describe('parseEnvelopeId', () => {
  it('reads boot and seq from the right, so node names may contain colons', () => {
    assert.deepEqual(parseEnvelopeId('fe80::1:3:42'), { node: 'fe80::1', boot: 3, seq: 42 });
    assert.equal(parseEnvelopeId('nope'), null);
  });
});

describe('isEnvelope', () => {
  it('accepts a whole envelope and rejects one missing or mistyping any field a reader uses', () => {
    const whole = envelope(2);
    assert.equal(isEnvelope(whole), true);
    assert.equal(isEnvelope({ ...whole, from: null }), true);
    for (const broken of [
      { ts: undefined },
      { ts: '2026-11-25' },
      { ts: 1e300 },
      { machine: 7 },
      { from: 1 },
      { event: { type: 3 } },
      { event: null },
      { context: undefined },
      { seq: 1.5 },
    ]) {
      assert.equal(isEnvelope({ ...whole, ...broken }), false, JSON.stringify(broken));
    }
  });
});
