import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic } from '../../src/config/diagnostics.js';
import { parseKeepalivedConf, parseKeepalivedText } from '../../src/config/keepalived/parser.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/keepalived');
const fixture = (name: string): string => join(FIXTURES, name);

describe('keepalived.conf: the seed configs load', () => {
  it('node 1: MASTER 101 with nopreempt cleared the way keepalived clears it', () => {
    const file = fixture('seed-node1.conf');
    const { config, warnings } = parseKeepalivedConf(file);
    assert.equal(config.instances.length, 1);
    const vi = config.instances[0]!;
    assert.equal(vi.name, 'VI_1');
    assert.equal(vi.interface, 'eth1');
    assert.equal(vi.state, 'MASTER');
    assert.equal(vi.vrid, 51);
    assert.equal(vi.priority, 101);
    // vrrp.c vrrp_complete_instance: "nopreempt will not work with initial state MASTER - clearing".
    assert.equal(vi.preempt, true);
    assert.deepEqual(
      warnings.map((w) => [w.pos.line, w.message]),
      [[14, '(VI_1) nopreempt will not work with initial state MASTER; clearing nopreempt']],
    );
    assert.deepEqual(
      vi.vips.map((v) => [v.address, v.prefix]),
      [['10.1.6.173', 32]],
    );
    assert.deepEqual(
      vi.trackScripts.map((t) => [t.name, t.weight, t.reverse]),
      [['chk_haproxy', -2, false]],
    );
    assert.deepEqual(vi.notify, {
      master: '/etc/keepalived/scripts/start_haproxy.sh',
      fault: '/etc/keepalived/scripts/stop_keepalived.sh',
      stop: '/etc/keepalived/scripts/stop_haproxy.sh',
    });
    const chk = config.scripts[0]!;
    assert.deepEqual(
      [chk.name, chk.command, chk.intervalMs, chk.timeoutMs, chk.weight],
      ['chk_haproxy', 'killall -0 haproxy', 2000, 2000, -2],
    );
    assert.deepEqual(vi.pos, { file, line: 9 });
    assert.deepEqual(chk.pos, { file, line: 3 });
    assert.deepEqual(vi.trackScripts[0]!.pos, { file, line: 22 });
  });

  it('node 2: BACKUP 100, script weight +2, no warnings', () => {
    const { config, warnings } = parseKeepalivedConf(fixture('seed-node2.conf'));
    const vi = config.instances[0]!;
    assert.deepEqual([vi.state, vi.priority, vi.preempt], ['BACKUP', 100, true]);
    assert.equal(config.scripts[0]!.weight, 2);
    assert.deepEqual(
      vi.trackScripts.map((t) => t.weight),
      [2],
    );
    assert.deepEqual(Object.keys(vi.notify).sort(), ['fault', 'master', 'stop']);
    assert.deepEqual(warnings, []);
  });

  it('the model is JSON-safe: a JSON round trip changes nothing', () => {
    const { config } = parseKeepalivedConf(fixture('sync-groups.conf'));
    assert.deepEqual(JSON.parse(JSON.stringify(config)), config);
  });
});

describe('keepalived.conf: defaults are keepalived’s', () => {
  const minimal = (body: string, globals = ''): ReturnType<typeof parseKeepalivedText> =>
    parseKeepalivedText(
      `${globals}\nvrrp_script s {\n script /bin/true\n}\nvrrp_instance VI {\n interface eth0\n virtual_router_id 9\n` +
        ` virtual_ipaddress {\n 192.0.2.9\n }\n${body}\n}\n`,
      'min.conf',
    );

  it('instance, script and global defaults', () => {
    const { config } = minimal('track_script {\n s\n}');
    const vi = config.instances[0]!;
    const table = {
      state: vi.state,
      priority: vi.priority,
      advertIntervalCs: vi.advertIntervalCs,
      version: vi.version,
      preempt: vi.preempt,
      preemptDelayCs: vi.preemptDelayCs,
      auth: vi.auth,
      garp: vi.garp,
      unicastPeers: vi.unicastPeers,
      trackWeight: vi.trackScripts[0]!.weight,
      script: {
        i: config.scripts[0]!.intervalMs,
        t: config.scripts[0]!.timeoutMs,
        w: config.scripts[0]!.weight,
        rise: config.scripts[0]!.rise,
        fall: config.scripts[0]!.fall,
        initFail: config.scripts[0]!.initFail,
      },
      globals: {
        v: config.globals.vrrpVersion,
        mcast: config.globals.mcastGroup4,
        sec: config.globals.enableScriptSecurity,
      },
    };
    assert.deepEqual(table, {
      state: 'BACKUP',
      priority: 100,
      advertIntervalCs: 100,
      version: 2,
      preempt: true,
      preemptDelayCs: 0,
      auth: { type: 'none', pass: '' },
      garp: { delayCs: 500, repeat: 5, refreshCs: 0, refreshRepeat: 1 },
      unicastPeers: [],
      trackWeight: 0,
      script: { i: 1000, t: 1000, w: 0, rise: 1, fall: 1, initFail: false },
      globals: { v: 2, mcast: '224.0.0.18', sec: false },
    });
  });

  it('state MASTER without a priority is the address owner (255); priority 255 alone means MASTER', () => {
    assert.equal(minimal('state MASTER').config.instances[0]!.priority, 255);
    assert.equal(minimal('priority 255').config.instances[0]!.state, 'MASTER');
  });

  it('global vrrp_version and vrrp_garp_* are inherited; instance settings override', () => {
    const { config } = minimal('garp_master_repeat 2', 'global_defs {\n vrrp_version 3\n vrrp_garp_master_delay 1\n}');
    const vi = config.instances[0]!;
    assert.equal(vi.version, 3);
    assert.deepEqual(vi.garp, { delayCs: 100, repeat: 2, refreshCs: 0, refreshRepeat: 1 });
  });

  it('heal settings: defaults, global vrrp_* forms, instance forms override (no keyword unknown)', () => {
    const globalDefs = (...lines: string[]): string => `global_defs {\n${lines.join('\n')}\n}`;
    const globalGarp = globalDefs(
      'vrrp_garp_master_repeat 3',
      'vrrp_garp_master_delay 7',
      'vrrp_higher_prio_send_advert false',
    );
    const globalHeal = globalDefs(
      'vrrp_garp_lower_prio_repeat 1',
      'vrrp_garp_lower_prio_delay 10',
      'vrrp_lower_prio_no_advert',
    );
    const own = [
      'garp_lower_prio_repeat 0',
      'garp_lower_prio_delay 2',
      'lower_prio_no_advert off',
      'higher_prio_send_advert no',
    ].join('\n');
    // [instance body, global_defs] → [lowerPrioAdvert, lowerPrioGarpRepeat, lowerPrioGarpDelayCs, higherPrioSendAdvert]
    const cases: Array<[string, string, [boolean, number, number, boolean]]> = [
      // keepalived's answer to a lower master, halo's advert before yielding; the lower-prio GARPs
      // follow the global garp_master_* (vrrp_complete_init), not the instance's own.
      ['garp_master_repeat 2\n garp_master_delay 3', '', [true, 5, 500, true]],
      ['', globalGarp, [true, 3, 700, false]],
      ['', globalHeal, [false, 1, 1000, true]],
      [own, globalHeal, [true, 0, 200, false]],
    ];
    for (const [body, globals, want] of cases) {
      const { config, warnings } = minimal(body, globals);
      assert.deepEqual(warnings, [], body);
      const h = config.instances[0]!.heal;
      const got = [h.lowerPrioAdvert, h.lowerPrioGarpRepeat, h.lowerPrioGarpDelayCs, h.higherPrioSendAdvert];
      assert.deepEqual(got, want, body || globals);
    }
  });

  it('heal keywords: a bare flag means on; bad values are errors', () => {
    assert.equal(minimal('higher_prio_send_advert').config.instances[0]!.heal.higherPrioSendAdvert, true);
    assert.throws(() => minimal('higher_prio_send_advert maybe'), /higher_prio_send_advert/);
    assert.throws(() => minimal('garp_lower_prio_delay 5000'), /garp_lower_prio_delay/);
    assert.throws(() => minimal('garp_lower_prio_repeat -1'), /garp_lower_prio_repeat/);
  });
});

describe('keepalived.conf: the other fixtures', () => {
  it('sync groups: members, group tracking, and floating weights dropped as keepalived drops them', () => {
    const { config, warnings } = parseKeepalivedConf(fixture('sync-groups.conf'));
    const [g] = config.syncGroups;
    assert.deepEqual(g!.instances, ['VI_OUT', 'VI_IN']);
    assert.deepEqual(
      g!.trackScripts.map((t) => [t.name, t.weight]),
      [['chk_db', 0]],
    );
    assert.deepEqual(g!.notify, { master: '/usr/local/bin/notify master', backup: '/usr/local/bin/to_backup' });
    const out = config.instances.find((i) => i.name === 'VI_OUT')!;
    assert.equal(out.syncGroup, 'G1');
    assert.deepEqual(out.trackScripts, []);
    assert.deepEqual(
      out.trackInterfaces.map((t) => [t.name, t.weight]),
      [['eth1', 0]],
    );
    assert.deepEqual(
      out.trackFiles.map((t) => [t.name, t.weight]),
      [['maint', 0]],
    );
    // Same order as vrrp.c: interfaces, then scripts, then files.
    assert.deepEqual(
      warnings.map((w) => [w.pos.line, w.code]),
      [
        [40, 'HALO_W_CONFIG_ADJUSTED'],
        [37, 'HALO_W_CONFIG_ADJUSTED'],
        [43, 'HALO_W_CONFIG_ADJUSTED'],
      ],
    );
    assert.deepEqual(out.vips[0], {
      address: '198.51.100.10',
      prefix: 24,
      dev: 'eth0',
      label: 'eth0:vip',
      pos: out.vips[0]!.pos,
    });
    const inner = config.instances.find((i) => i.name === 'VI_IN')!;
    assert.equal(inner.vips[0]!.brd, '203.0.113.255');
    const chk = config.scripts[0]!;
    assert.deepEqual([chk.intervalMs, chk.timeoutMs, chk.weight, chk.rise, chk.fall], [500, 3000, 10, 3, 2]);
    assert.deepEqual(config.trackFiles[0], {
      name: 'maint',
      weight: 1,
      reverse: false,
      path: '/run/halo/maint',
      init: { value: 0, overwrite: true },
      pos: config.trackFiles[0]!.pos,
    });
  });

  it('unicast: peers, source, auth_pass truncated to 8 with a warning, global garp and script user', () => {
    const { config, warnings } = parseKeepalivedConf(fixture('unicast.conf'));
    const vi = config.instances[0]!;
    assert.equal(vi.unicastSrcIp, '192.0.2.1');
    assert.deepEqual(vi.unicastPeers, ['192.0.2.2', '192.0.2.3']);
    assert.deepEqual(vi.auth, { type: 'pass', pass: 'secret12' });
    assert.deepEqual(
      warnings.map((w) => [w.pos.line, w.message]),
      [[23, '(VI_U) truncating auth_pass to 8 characters']],
    );
    assert.deepEqual(vi.garp, { delayCs: 200, repeat: 1, refreshCs: 6000, refreshRepeat: 2 });
    assert.deepEqual([vi.advertIntervalCs, vi.preemptDelayCs], [200, 1500]);
    assert.deepEqual(vi.notify, { generic: '/usr/local/bin/notify-all arg', backup: '/usr/local/bin/backup.sh' });
    assert.deepEqual(config.globals.scriptUser, { user: 'halo' });
    assert.equal(config.globals.enableScriptSecurity, true);
  });

  it('v3: centisecond adverts, rounding warned, auth ignored as keepalived ignores it', () => {
    const { config, warnings } = parseKeepalivedConf(fixture('v3.conf'));
    const [a, b] = config.instances;
    assert.deepEqual([a!.version, a!.advertIntervalCs, a!.auth.type], [3, 25, 'none']);
    assert.deepEqual([b!.version, b!.advertIntervalCs], [3, 12]);
    assert.deepEqual(
      warnings.map((w) => w.pos.line),
      [9, 18],
    );
    assert.match(warnings[0]!.message, /version 3 does not support authentication/);
    assert.match(warnings[1]!.message, /units of 10ms; rounding to 0.12s/);
    assert.deepEqual(b!.vips[0]!.pos.line, 20);
  });

  it('v2 advert_int is rounded to whole seconds with a warning', () => {
    const { config, warnings } = parseKeepalivedText(
      'vrrp_instance V {\n interface e0\n virtual_router_id 1\n advert_int 1.6\n virtual_ipaddress {\n 192.0.2.1\n' +
        ' }\n}\n',
      'r.conf',
    );
    assert.equal(config.instances[0]!.advertIntervalCs, 200);
    assert.deepEqual(
      warnings.map((w) => w.pos.line),
      [4],
    );
  });

  it('braces may share a line with keywords and items', () => {
    const text =
      'vrrp_instance V { interface e0\nvirtual_router_id 1\nvirtual_ipaddress { 192.0.2.1/24 }\n}\nvrrp_instance W\n' +
      '{\ninterface e0\nvirtual_router_id 2 }\n';
    const { config } = parseKeepalivedText(text, 'braces.conf');
    assert.deepEqual(
      config.instances.map((i) => [i.name, i.vrid, i.vips.length]),
      [
        ['V', 1, 1],
        ['W', 2, 0],
      ],
    );
  });

  it('unknown keywords warn with their line and are skipped with their block', () => {
    const text =
      'virtual_server 192.0.2.1 80 {\n real_server 192.0.2.2 80 {\n weight 1\n }\n}\nvrrp_instance V {\n' +
      ' interface e0 ! trailing comment\n virtual_router_id 1 # another\n use_magic on\n virtual_ipaddress {\n' +
      ' 192.0.2.1\n }\n}\n';
    const { config, warnings } = parseKeepalivedText(text, 'unk.conf');
    assert.deepEqual(warnings.map(formatDiagnostic), [
      "warning: HALO_W_CONFIG_UNKNOWN_KEYWORD: unk.conf:1: unknown keyword 'virtual_server' in the top level; ignored",
      "warning: HALO_W_CONFIG_UNKNOWN_KEYWORD: unk.conf:9: unknown keyword 'use_magic' in vrrp_instance V; ignored",
    ]);
    assert.equal(config.instances[0]!.interface, 'e0');
  });

  it('deprecated spellings still work and warn with HALO_W_CONFIG_DEPRECATED', () => {
    const text =
      'vrrp_track_file maint {\n file /run/maint\n}\n' +
      'vrrp_sync_group G {\n group {\n  V\n }\n global_tracking\n}\n' +
      'vrrp_instance V {\n interface e0\n virtual_router_id 1\n virtual_ipaddress {\n 192.0.2.1\n }\n}\n';
    const { config, warnings } = parseKeepalivedText(text, 'old.conf');
    assert.deepEqual(
      config.trackFiles.map((f) => [f.name, f.path]),
      [['maint', '/run/maint']],
    );
    assert.equal(config.syncGroups[0]!.trackingWeight, true);
    assert.deepEqual(
      warnings.map((w) => [w.pos.line, w.code]),
      [
        [1, 'HALO_W_CONFIG_DEPRECATED'],
        [8, 'HALO_W_CONFIG_DEPRECATED'],
      ],
    );
  });
});
