import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { test } from 'node:test';
import { addressesOf } from '../../../src/io/net/vip.js';

const v4 = (address: string, prefix: number): NetworkInterfaceInfo => ({
  address,
  netmask: '',
  family: 'IPv4',
  mac: '02:00:00:00:00:01',
  internal: false,
  cidr: `${address}/${prefix}`,
});
const v6 = (address: string, prefix: number): NetworkInterfaceInfo => ({
  address,
  netmask: '',
  family: 'IPv6',
  mac: '02:00:00:00:00:01',
  internal: false,
  cidr: `${address}/${prefix}`,
  scopeid: 2,
});

test('addressesOf: the device and its labels, IPv4 first in the order listed, IPv6 without a label', () => {
  const listed = {
    lo: [v4('127.0.0.1', 8)],
    eth0: [v4('192.0.2.11', 24), v6('fe80::1', 64), v4('192.0.2.12', 24)],
    'eth0:vi1': [v4('192.0.2.100', 32)],
    eth00: [v4('198.51.100.1', 24)],
    'eth0.100': [v4('203.0.113.1', 24)],
  };
  assert.deepEqual(addressesOf(listed, 'eth0'), [
    { address: '192.0.2.11', prefix: 24, label: 'eth0' },
    { address: '192.0.2.12', prefix: 24, label: 'eth0' },
    { address: '192.0.2.100', prefix: 32, label: 'eth0:vi1' },
    { address: 'fe80::1', prefix: 64 },
  ]);
});

test(
  'addressesOf: nothing for a device os.networkInterfaces() does not list ' + '(down, absent) or without a prefix',
  () => {
    assert.deepEqual(addressesOf({ eth1: [v4('192.0.2.11', 24)] }, 'eth0'), []);
    assert.deepEqual(addressesOf({ eth0: [{ ...v4('192.0.2.11', 24), cidr: null }] }, 'eth0'), []);
  },
);
