import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressesOf, createLab, waitFor } from './netns.js';

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

test('waitFor returns the first truthy value, and on timeout names what it waited for', async () => {
  let n = 0;
  const count = (): number | undefined => {
    n += 1;
    return n >= 3 ? n : undefined;
  };
  assert.equal(await waitFor('n to reach 3', count, 1_000, 1), 3);
  await assert.rejects(
    waitFor('a thing that never happens', () => false, 50, 10),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'HALO_E_TIMEOUT');
      assert.equal(err.message, 'timed out after 50 ms waiting for a thing that never happens');
      return true;
    },
  );
  // The description can be computed at the failure, to show the state the wait last saw.
  let checks = 0;
  const never = (): false => {
    checks += 1;
    return false;
  };
  await assert.rejects(
    waitFor(() => `${checks} checks to pass`, never, 30, 5),
    /waiting for [1-9]\d* checks to pass$/,
  );
});
