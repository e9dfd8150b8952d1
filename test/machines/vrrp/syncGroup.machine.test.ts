import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createActor } from 'xstate';
import { syncGroupMachine } from '../../../src/machines/vrrp/syncGroup.machine.js';
import type { VrrpStateName } from '../../../src/machines/vrrp/vrrpInstance.types.js';

function group(members = ['VI_1', 'VI_2', 'VI_3']) {
  const forced: Array<{ state: string; except: string }> = [];
  const notified: string[] = [];
  const actor = createActor(
    syncGroupMachine.provide({
      actions: { forceMembers: (_, params) => forced.push(params), notify: (_, params) => notified.push(params.state) },
    }),
    { input: { name: 'G1', members } },
  ).start();
  const report = (member: string, state: VrrpStateName) => actor.send({ type: 'MEMBER_STATE', member, state });
  return { actor, forced, notified, report, state: () => actor.getSnapshot().value };
}

describe('syncGroup (keepalived vrrp_sync.c)', () => {
  it("runs the group's notify once per group state change, not per member echo", () => {
    const g = group();
    assert.deepEqual(g.notified, ['BACKUP']);
    g.report('VI_1', 'master');
    g.report('VI_2', 'master');
    g.report('VI_3', 'master');
    g.report('VI_2', 'fault');
    g.report('VI_1', 'fault');
    g.report('VI_2', 'backup');
    assert.deepEqual(g.notified, ['BACKUP', 'MASTER', 'FAULT', 'BACKUP']);
  });

  it('starts in backup; members reporting backup change nothing', () => {
    const g = group();
    g.report('VI_1', 'backup');
    g.report('VI_2', 'backup');
    assert.equal(g.state(), 'backup');
    assert.deepEqual(g.forced, []);
  });

  it('one member to master takes all to master; their echoes are not re-forced', () => {
    const g = group();
    g.report('VI_2', 'master');
    assert.equal(g.state(), 'master');
    assert.deepEqual(g.forced, [{ state: 'master', except: 'VI_2' }]);
    g.report('VI_1', 'master');
    g.report('VI_3', 'master');
    assert.equal(g.forced.length, 1);
  });

  it('one member back to backup takes all to backup', () => {
    const g = group();
    g.report('VI_1', 'master');
    g.report('VI_3', 'backup');
    assert.equal(g.state(), 'backup');
    assert.deepEqual(g.forced.at(-1), { state: 'backup', except: 'VI_3' });
  });

  it('one member to fault takes all to fault; it is released when that member recovers', () => {
    const g = group();
    g.report('VI_1', 'master');
    g.report('VI_2', 'master');
    g.report('VI_3', 'master');
    g.report('VI_2', 'fault');
    assert.equal(g.state(), 'fault');
    assert.deepEqual(g.forced.at(-1), { state: 'fault', except: 'VI_2' });
    assert.deepEqual(g.actor.getSnapshot().context.faulty, ['VI_2']);
    // The forced members' FAULT reports are echoes, not faults of their own.
    g.report('VI_1', 'fault');
    g.report('VI_3', 'fault');
    assert.deepEqual(g.actor.getSnapshot().context.faulty, ['VI_2']);
    assert.equal(g.forced.length, 2);
    g.report('VI_2', 'backup');
    assert.equal(g.state(), 'backup');
    assert.deepEqual(g.forced.at(-1), { state: 'backup', except: 'VI_2' });
  });

  it('a recovering member is held in fault while another member is faulty on its own', () => {
    const g = group(['VI_1', 'VI_2']);
    g.report('VI_1', 'fault');
    g.report('VI_2', 'fault'); // echo of the force
    g.report('VI_2', 'fault'); // its own fault, reported again
    assert.deepEqual(g.actor.getSnapshot().context.faulty, ['VI_1', 'VI_2']);
    g.report('VI_1', 'backup');
    assert.equal(g.state(), 'fault');
    assert.deepEqual(g.forced.at(-1), { state: 'fault', except: 'VI_2' });
    g.report('VI_1', 'fault'); // echo of the re-force
    g.report('VI_2', 'backup');
    assert.equal(g.state(), 'backup');
    assert.deepEqual(g.forced.at(-1), { state: 'backup', except: 'VI_2' });
  });

  it('an owner member leaving fault to master takes the group to master', () => {
    const g = group(['VI_1', 'VI_2']);
    g.report('VI_1', 'fault');
    g.report('VI_1', 'master');
    assert.equal(g.state(), 'master');
    assert.deepEqual(g.forced.at(-1), { state: 'master', except: 'VI_1' });
  });

  it('ignores reports from instances that are not members', () => {
    const g = group(['VI_1', 'VI_2']);
    g.report('VI_9', 'fault');
    assert.equal(g.state(), 'backup');
    assert.deepEqual(g.actor.getSnapshot().context.memberStates, {});
  });
});
