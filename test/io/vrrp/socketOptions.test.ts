import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import { test } from 'node:test';
import { isHaloError } from '../../../src/errors.js';
import { deviceNameOption, ipMreqn } from '../../../src/io/vrrp/socketOptions.js';

test('ipMreqn lays out struct ip_mreqn: group and address in network order, ifindex in host order', () => {
  const buf = ipMreqn('224.0.0.18', '192.0.2.11', 0x0102);
  assert.equal(buf.length, 12);
  assert.equal(buf.subarray(0, 8).toString('hex'), 'e0000012c000020b');
  assert.equal(buf.subarray(8).toString('hex'), endianness() === 'LE' ? '02010000' : '00000102');
});

test('ipMreqn rejects a non-IPv4 address with HALO_E_VRRP_SOCKET', () => {
  assert.throws(
    () => ipMreqn('ff02::12', '0.0.0.0', 1),
    (err: unknown) => isHaloError(err) && err.code === 'HALO_E_VRRP_SOCKET',
  );
});

test('deviceNameOption is the NUL-terminated name SO_BINDTODEVICE reads', () => {
  assert.deepEqual([...deviceNameOption('eth0')], [0x65, 0x74, 0x68, 0x30, 0]);
});
