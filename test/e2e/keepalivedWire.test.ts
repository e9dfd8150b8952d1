/**
 * Golden test against the real thing: Debian's keepalived sends VRRPv2 (PASS auth) and VRRPv3
 * adverts inside a lab namespace, tcpdump captures them on a second node, and halo's codec must
 * decode them, accept them, and re-encode the identical bytes.
 *
 * With HALO_CAPTURE_FIXTURES=1 the captured packets are also written to test/fixtures/vrrp/, which
 * is how those fixtures were made (scripts/capture-vrrp-fixtures.sh).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { type AdvertSpec, decodeIpv4Packet, encodeIpv4Packet } from '../../src/io/vrrp/codec.js';
import { goldenSpecs } from '../fixtures/vrrp/goldenSpecs.js';
import { checkAdvert } from '../../src/io/vrrp/receiveChecks.js';
import { stopChild } from '../../src/cli/nodeProcess.js';
import { createLab, type Lab, type LabNode, waitFor, withTimeout } from '../helpers/netns.js';
import { alive } from '../helpers/processAlive.js';

const run = promisify(execFile);

const KEEPALIVED_CONF = `global_defs {
  router_id halo_golden
}
vrrp_instance V2 {
  interface eth0
  state MASTER
  virtual_router_id 51
  priority 150
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret12
  }
  virtual_ipaddress {
    192.0.2.100
    192.0.2.101
  }
}
vrrp_instance V3 {
  version 3
  interface eth0
  state MASTER
  virtual_router_id 52
  priority 120
  advert_int 0.1
  virtual_ipaddress {
    192.0.2.200
    192.0.2.201
    203.0.113.9
  }
}
`;

const PCAP_GLOBAL_HEADER = 24;
const PCAP_RECORD_HEADER = 16;
const LINKTYPE_ETHERNET = 1;
const ETHERNET_HEADER = 14;

/**
 * The IPv4 datagrams in a little-endian Ethernet pcap, each cut to its IP total length as the
 * kernel trims it before a raw socket sees it (short frames carry Ethernet padding).
 */
function ipv4PacketsOfPcap(pcap: Buffer): Buffer[] {
  assert.ok(pcap.length >= PCAP_GLOBAL_HEADER, 'pcap has a global header');
  assert.equal(pcap.readUInt32LE(0), 0xa1b2c3d4, 'little-endian microsecond pcap');
  assert.equal(pcap.readUInt32LE(20), LINKTYPE_ETHERNET, 'Ethernet link type');
  const packets: Buffer[] = [];
  for (let off = PCAP_GLOBAL_HEADER; off + PCAP_RECORD_HEADER <= pcap.length; ) {
    const caplen = pcap.readUInt32LE(off + 8);
    const frame = pcap.subarray(off + PCAP_RECORD_HEADER, off + PCAP_RECORD_HEADER + caplen);
    off += PCAP_RECORD_HEADER + caplen;
    assert.equal(frame.readUInt16BE(12), 0x0800, 'IPv4 ethertype');
    const ip = frame.subarray(ETHERNET_HEADER);
    packets.push(ip.subarray(0, ip.readUInt16BE(2)));
  }
  return packets;
}

interface Capture {
  done: Promise<Buffer[]>;
}

/** tcpdump on `node` for `count` VRRP packets of one VRID; resolves once it is listening. */
async function startCapture(node: LabNode, vrid: number, count: number): Promise<Capture> {
  // ip[21] is the VRID octet: a 20-byte IPv4 header, then version/type, then VRID.
  const filter = `ip proto 112 and ip[0] = 0x45 and ip[21] = ${vrid}`;
  const child = node.spawn('tcpdump', ['-i', node.dev, '-n', '-U', '-w', '-', '-c', String(count), filter]);
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => chunks.push(c));
  let stderr = '';
  const listening = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (stderr.includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`tcpdump exited (${code}) before listening: ${stderr}`)));
  });
  const done = new Promise<Buffer[]>((resolve, reject) => {
    child.once('exit', (code) => {
      if (code === 0) resolve(ipv4PacketsOfPcap(Buffer.concat(chunks)));
      else reject(new Error(`tcpdump exited with ${code}: ${stderr}`));
    });
  });
  await withTimeout(listening, 5_000, `tcpdump on ${node.ns} to listen`);
  return { done };
}

async function writeFixture(name: string, header: string, packets: Buffer[]): Promise<void> {
  const comment = header
    .split('\n')
    .map((l) => `# ${l}`.trimEnd())
    .join('\n');
  const body = packets.map((p) => p.toString('hex')).join('\n');
  await writeFile(new URL(`../../../test/fixtures/vrrp/${name}`, import.meta.url), `${comment}\n${body}\n`);
}

describe('keepalived adverts on the wire', { timeout: 60_000 }, () => {
  let lab: Lab;
  let dir: string;
  let keepalived: ChildProcess | undefined;
  let vrrpChildPid: number | undefined;
  let keepalivedLog = '';
  let v2Packets: Buffer[] = [];
  let v3Packets: Buffer[] = [];
  let specs: { v2: AdvertSpec; v3: AdvertSpec };

  before(async () => {
    lab = await createLab({ prefix: 'hca', nodes: 2 });
    const [sender, listener] = lab.nodes as [LabNode, LabNode];
    specs = goldenSpecs(sender.ip);
    dir = await mkdtemp(join(tmpdir(), 'halo-kawire-'));
    const conf = join(dir, 'keepalived.conf');
    const vrrpPidFile = join(dir, 'vrrp.pid');
    await writeFile(conf, KEEPALIVED_CONF);

    const v2Capture = await startCapture(listener, 51, 3);
    const v3Capture = await startCapture(listener, 52, 5);
    // -n stay in the foreground (ip netns exec execs, so child.pid is keepalived's), -P VRRP
    // only, -l -D -G detailed log on stdout and none to syslog; private pid files, config in a temp dir.
    keepalived = sender.spawn('keepalived', [
      '-n',
      '-l',
      '-D',
      '-G',
      '-P',
      '-f',
      conf,
      '-p',
      join(dir, 'keepalived.pid'),
      '-r',
      vrrpPidFile,
    ]);
    keepalived.stdout!.on('data', (c: Buffer) => {
      keepalivedLog += c.toString();
    });
    keepalived.stderr!.on('data', (c: Buffer) => {
      keepalivedLog += c.toString();
    });
    vrrpChildPid = await waitFor(
      `keepalived's VRRP child pid in ${vrrpPidFile} (log:\n${keepalivedLog})`,
      async () => {
        const text = await readFile(vrrpPidFile, 'utf8').catch(() => '');
        return Number.parseInt(text, 10) || undefined;
      },
      5_000,
    );
    // v2 becomes master after Master_Down_Interval (3 × 1 s + skew), then one advert a second.
    const captured = Promise.all([v2Capture.done, v3Capture.done]);
    [v2Packets, v3Packets] = await withTimeout(captured, 20_000, 'the adverts to capture').catch((err: Error) => {
      throw new Error(`${err.message} (keepalived log:\n${keepalivedLog})`);
    });

    if (process.env.HALO_CAPTURE_FIXTURES === '1') {
      const { stdout, stderr } = await run('keepalived', ['--version']);
      const version = `${stdout}${stderr}`.split('\n')[0]!.trim();
      const header = (what: string) =>
        `${what} captured from ${version} by test/e2e/keepalivedWire.test.ts\n` +
        `(HALO_CAPTURE_FIXTURES=1): tcpdump on the receiving lab node, Ethernet header removed.\n` +
        `Sender eth0 ${sender.ip}/24; one IPv4 datagram per line, hex. keepalived.conf:\n${KEEPALIVED_CONF}`;
      await writeFixture('keepalived-v2-pass.hex', header('VRRPv2 adverts (VRID 51, auth PASS)'), v2Packets);
      await writeFixture('keepalived-v3.hex', header('VRRPv3 adverts (VRID 52, advert_int 0.1)'), v3Packets);
    }
  });

  after(async () => {
    if (keepalived) await stopChild(keepalived, 'SIGTERM', 5_000, 'keepalived');
    // The VRRP child normally leaves with its parent; never leave one behind in a dying namespace.
    if (vrrpChildPid !== undefined && alive(vrrpChildPid)) process.kill(vrrpChildPid, 'SIGKILL');
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('captures the adverts keepalived sends for both instances', () => {
    assert.equal(v2Packets.length, 3);
    assert.equal(v3Packets.length, 5);
  });

  for (const version of ['v2', 'v3'] as const) {
    it(`decodes keepalived's ${version} adverts with a valid checksum and the configured fields`, () => {
      const spec = specs[version];
      const packets = version === 'v2' ? v2Packets : v3Packets;
      for (const bytes of packets) {
        const decoded = decodeIpv4Packet(bytes);
        assert.ok(decoded.ok, decoded.ok ? '' : `${decoded.reason}: ${decoded.detail}`);
        const { ip, vrrp } = decoded.packet;
        assert.deepEqual(
          { src: ip.src, dst: ip.dst, ttl: ip.ttl, tos: ip.tos, protocol: ip.protocol },
          { src: spec.src, dst: spec.dst, ttl: 255, tos: 0xc0, protocol: 112 },
        );
        assert.deepEqual(
          {
            version: vrrp.version,
            type: vrrp.type,
            vrid: vrrp.vrid,
            priority: vrrp.priority,
            addresses: vrrp.addresses,
          },
          { version: spec.version, type: 1, vrid: spec.vrid, priority: spec.priority, addresses: spec.addresses },
        );
        assert.equal(vrrp.advertIntervalCs, spec.advertIntervalCs);
        assert.equal(vrrp.authType, spec.authPass === undefined ? 0 : 1);
        assert.equal(vrrp.authPass, spec.authPass ?? '');
        const checked = checkAdvert(decoded.packet, { ...spec });
        assert.deepEqual(checked, { ok: true, addressMismatch: false });
      }
    });

    it(`re-encodes keepalived's ${version} adverts byte for byte`, () => {
      const packets = version === 'v2' ? v2Packets : v3Packets;
      for (const bytes of packets) {
        // The kernel fills in the IP id; with it given, the whole datagram must match.
        const id = bytes.readUInt16BE(4);
        assert.equal(encodeIpv4Packet(specs[version], { id }).toString('hex'), bytes.toString('hex'));
      }
    });
  }
});
