import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressesOf, createLab } from './netns.js';

test('lab nodes reach each other over the bridge and nothing else', async () => {
  const lab = await createLab({ prefix: 'hnl', nodes: 2 });
  try {
    const [a, b] = lab.nodes;
    assert.ok(a && b);
    assert.deepEqual(await addressesOf(a), ['192.0.2.11']);
    const out = await a.exec('ping', ['-c', '1', '-W', '1', b.ip]);
    assert.match(out, /1 received/);
    const routes = await a.exec('ip', ['-4', 'route', 'show', 'default']);
    assert.equal(routes.trim(), '', 'a lab node must have no default route');
  } finally {
    await lab.destroy();
  }
  const left = await import('node:child_process').then((cp) => cp.execFileSync('ip', ['netns', 'list']).toString());
  assert.ok(!left.includes(lab.prefix), 'namespaces removed');
});
