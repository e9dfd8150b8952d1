import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLab, type Lab, type LabNode } from '../../helpers/netns.js';
import { fixturePath, type JsonLine } from '../jsonChild.js';

const NET_CALL = fixturePath(import.meta.url, 'netCall.js');

async function call(node: LabNode, op: string, args: Record<string, unknown>): Promise<JsonLine> {
  const out = await node.exec('node', [NET_CALL, op, JSON.stringify(args)]);
  return JSON.parse(out) as JsonLine;
}

describe('VIPs via ip addr, inside a lab namespace', () => {
  let lab: Lab;
  let n1: LabNode;
  let n2: LabNode;

  before(async () => {
    lab = await createLab({ prefix: 'hcv', nodes: 2 });
    [n1, n2] = lab.nodes as [LabNode, LabNode];
  });
  after(async () => {
    await lab.destroy();
  });

  test('listAddresses reads the interface (IPv4 and IPv6) with prefix and label', async () => {
    const r = await call(n1, 'listAddresses', { dev: 'eth0' });
    assert.equal(r.ok, true);
    const list = r.result as Array<{ address: string; prefix: number; label?: string }>;
    assert.deepEqual(list[0], { address: n1.ip, prefix: 24, label: 'eth0' });
    assert.ok(
      list.every((a) => a.address === n1.ip || a.address.startsWith('fe80:')),
      JSON.stringify(list),
    );
  });

  test('listAddresses answers for a down interface too (os.networkInterfaces() lists only running ones)', async () => {
    await n1.exec('ip', ['link', 'add', 'hdown0', 'type', 'veth', 'peer', 'name', 'hdown1']);
    try {
      await n1.exec('ip', ['addr', 'add', '198.51.100.9/24', 'dev', 'hdown0']);
      const r = await call(n1, 'listAddresses', { dev: 'hdown0' });
      assert.deepEqual(r, { ok: true, result: [{ address: '198.51.100.9', prefix: 24, label: 'hdown0' }] });
    } finally {
      await n1.exec('ip', ['link', 'del', 'hdown0']);
    }
  });

  test('addVip adds (twice is fine), the VIP answers from another node, delVip removes (twice is fine)', async () => {
    const vip = { address: '192.0.2.100', prefix: 32, dev: 'eth0', label: 'eth0:vi1' };
    assert.deepEqual(await call(n1, 'addVip', vip), { ok: true });
    assert.deepEqual(await call(n1, 'addVip', vip), { ok: true }, 'EEXIST is success');
    const listed = (await call(n1, 'listAddresses', { dev: 'eth0' })).result as unknown[];
    assert.ok(
      listed.some(
        (a) => JSON.stringify(a) === JSON.stringify({ address: '192.0.2.100', prefix: 32, label: 'eth0:vi1' }),
      ),
      JSON.stringify(listed),
    );
    assert.match(await n2.exec('ping', ['-c', '1', '-W', '1', '192.0.2.100']), /1 received/);

    assert.deepEqual(await call(n1, 'delVip', vip), { ok: true });
    assert.deepEqual(await call(n1, 'delVip', vip), { ok: true }, 'an absent address is success');
    assert.deepEqual(await call(n1, 'delVip', { ...vip, address: '192.0.2.199' }), { ok: true }, 'never added at all');
    const after = (await call(n1, 'listAddresses', { dev: 'eth0' })).result as Array<{ address: string }>;
    assert.ok(!after.some((a) => a.address === '192.0.2.100'));
  });

  test('brd is passed through to the kernel', async () => {
    const vip = { address: '198.51.100.7', prefix: 24, dev: 'eth0', brd: '198.51.100.255' };
    assert.deepEqual(await call(n1, 'addVip', vip), { ok: true });
    const raw = JSON.parse(await n1.exec('ip', ['-j', '-4', 'addr', 'show', 'dev', 'eth0'])) as Array<{
      addr_info: Array<{ local: string; broadcast?: string }>;
    }>;
    assert.equal(raw[0]?.addr_info.find((a) => a.local === '198.51.100.7')?.broadcast, '198.51.100.255');
    assert.deepEqual(await call(n1, 'delVip', vip), { ok: true });
  });

  test('real failures are HALO_E_NET_COMMAND with the ip message', async () => {
    const add = await call(n1, 'addVip', { address: '192.0.2.100', prefix: 32, dev: 'nosuch0' });
    assert.equal(add.code, 'HALO_E_NET_COMMAND');
    assert.match(String(add.message), /cannot add VIP 192\.0\.2\.100\/32 on nosuch0: Cannot find device "nosuch0"/);
    const del = await call(n1, 'delVip', { address: '192.0.2.100', prefix: 32, dev: 'nosuch0' });
    assert.equal(del.code, 'HALO_E_NET_COMMAND');
    const list = await call(n1, 'listAddresses', { dev: 'nosuch0' });
    assert.equal(list.code, 'HALO_E_NET_COMMAND');
    const badPrefix = await call(n1, 'addVip', { address: '192.0.2.101', prefix: 33, dev: 'eth0' });
    assert.equal(badPrefix.code, 'HALO_E_NET_COMMAND');
  });

  test('the long-lived ip -batch path: idempotent add/del, errors per command, no fork per change', async () => {
    const r = await call(n1, 'batchSequence', { address: '192.0.2.101', prefix: 24, dev: 'eth0' });
    const steps = r.steps as Array<{ step: string; ok: boolean; ms: number; code?: string }>;
    assert.deepEqual(
      steps.map((s) => [s.step, s.ok, s.code ?? '']),
      [
        ['add', true, ''],
        ['add again', true, ''],
        ['del', true, ''],
        ['del again', true, ''],
        ['bad device', false, 'HALO_E_NET_COMMAND'],
        ['add after error', true, ''],
        ['cleanup', true, ''],
      ],
    );
    assert.equal(r.listed, true);
    assert.equal(r.after, true);
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const batched = median(steps.slice(1).map((s) => s.ms));
    const forked = median(r.forked as number[]);
    assert.ok(batched < forked / 2, `median batch command ${batched} ms, median forked ip ${forked} ms`);
  });
});
