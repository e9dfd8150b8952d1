import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  diesWithDaemon,
  findExecutable,
  ownerTag,
  parseOwnerTag,
  processStartTime,
} from '../../src/io/childLifetime.js';
import { leftAfterKill9 } from '../helpers/processTree.js';

test('a command is wrapped in setpriv --pdeathsig KILL and keeps its own argv', () => {
  const wrapped = diesWithDaemon(['ip', '-o', 'monitor', 'link']);
  assert.match(wrapped[0] ?? '', /^\/.*\/setpriv$/);
  assert.deepEqual(wrapped.slice(1), ['--pdeathsig', 'KILL', '--', 'ip', '-o', 'monitor', 'link']);
});

test('a child spawned with spawnDying is gone soon after its daemon is killed with SIGKILL', async () => {
  assert.deepEqual(await leftAfterKill9('dying', 'sleep'), [], 'no child outlives the killed daemon');
});

test('the owner tag round-trips and rejects what it did not write', () => {
  const owner = { pid: 4242, startTime: 123456, stateDir: '/var/lib/halo: a dir' };
  assert.deepEqual(parseOwnerTag(ownerTag(owner)), owner);
  assert.equal(parseOwnerTag('4242:x:/var/lib/halo'), undefined);
  assert.equal(parseOwnerTag('4242:1:relative'), undefined);
});

test('processStartTime reads field 22 of /proc/<pid>/stat, and nothing for a gone pid', () => {
  const mine = processStartTime(process.pid);
  assert.ok(mine !== undefined && mine > 0, `start time ${mine}`);
  assert.equal(processStartTime(process.pid), mine, 'stable for a running process');
  const root = mkdtempSync(join(tmpdir(), 'halo-stat-'));
  try {
    // A comm with spaces and a ')' must not shift the fields: 18 fields (4..21), then field 22.
    mkdirSync(join(root, '77'));
    writeFileSync(
      join(root, '77', 'stat'),
      `77 (a b) c) S ${Array.from({ length: 18 }, (_, i) => i + 4).join(' ')} 987654 0 0\n`,
    );
    assert.equal(processStartTime(77, root), 987654);
    assert.equal(processStartTime(78, root), undefined);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('findExecutable follows PATH as execvp does, and only finds executable files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-path-'));
  try {
    writeFileSync(join(dir, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(dir, 'plain'), 'data\n', { mode: 0o644 });
    assert.equal(findExecutable('tool', `/nonexistent:${dir}`), join(dir, 'tool'));
    assert.equal(findExecutable('plain', dir), null);
    assert.equal(findExecutable('tool', '/nonexistent'), null);
    assert.equal(findExecutable(join(dir, 'tool'), ''), join(dir, 'tool'));
    assert.equal(findExecutable(dir, ''), null, 'a directory is not a program');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
