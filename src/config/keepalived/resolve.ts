import type { Diagnostics } from '../diagnostics.js';
import type { TrackRef, VrrpInstanceConfig, VrrpScript, VrrpSyncGroup, VrrpTrackFile } from '../vrrp.model.js';
import type { CompletedInstance } from './completeInstance.js';
import type { SyncGroupDraft } from './syncGroup.js';
import type { RawTrackRef, TrackingDraft } from './tracking.js';

interface Named {
  weight: number;
  reverse: boolean;
}

/** A ref without its own weight takes the tracked object's (vrrp_track.c); unknown names are errors. */
function resolveRefs(
  raw: RawTrackRef[],
  kind: string,
  owner: string,
  known: Map<string, Named> | undefined,
  diags: Diagnostics,
): TrackRef[] {
  const out: TrackRef[] = [];
  for (const ref of raw) {
    const target = known ? known.get(ref.name) : { weight: 0, reverse: false };
    if (!target) {
      diags.error(ref.pos, `${owner} tracks unknown ${kind} '${ref.name}'`, 'HALO_E_CONFIG_REF');
      continue;
    }
    out.push({
      name: ref.name,
      weight: ref.weight ?? target.weight,
      reverse: ref.reverse ?? target.reverse,
      pos: ref.pos,
    });
  }
  return out;
}

/** Resolves a draft's track refs; also run on instances too broken to complete, to report every bad name. */
export function resolveTracking(
  draft: TrackingDraft,
  owner: string,
  scripts: Map<string, VrrpScript>,
  files: Map<string, VrrpTrackFile>,
  diags: Diagnostics,
) {
  return {
    trackScripts: resolveRefs(draft.trackScripts, 'vrrp_script', owner, scripts, diags),
    // Interfaces need no declaration; unweighted means "down → FAULT" (weight 0).
    trackInterfaces: resolveRefs(draft.trackInterfaces, 'interface', owner, undefined, diags),
    trackFiles: resolveRefs(draft.trackFiles, 'track_file', owner, files, diags),
  };
}

/**
 * keepalived (vrrp.c, "In case of VRRP SYNC ...") keeps priorities equal across a sync group and
 * fixed for an address owner: weighted scripts are dropped, interface weights set to 0, a
 * default-weight track file becomes unweighted and an explicitly weighted one is dropped.
 */
function dropFloatingWeights(inst: VrrpInstanceConfig, cause: string, diags: Diagnostics): void {
  for (const t of inst.trackInterfaces.filter((t) => t.weight !== 0)) {
    diags.warn(
      t.pos,
      `(${inst.name}) ignoring weight of tracked interface ${t.name} due to ${cause}`,
      'HALO_W_CONFIG_ADJUSTED',
    );
    t.weight = 0;
  }
  inst.trackScripts = inst.trackScripts.filter((t) => {
    if (t.weight !== 0)
      diags.warn(
        t.pos,
        `(${inst.name}) ignoring tracked script ${t.name} with weights due to ${cause}`,
        'HALO_W_CONFIG_ADJUSTED',
      );
    return t.weight === 0;
  });
  inst.trackFiles = inst.trackFiles.filter((t) => {
    if (t.weight === 1) {
      diags.warn(
        t.pos,
        `(${inst.name}) ignoring weight from tracked file ${t.name} due to ${cause}; specify weight 0`,
        'HALO_W_CONFIG_ADJUSTED',
      );
      t.weight = 0;
    } else if (t.weight !== 0) {
      diags.warn(
        t.pos,
        `(${inst.name}) ignoring tracked file ${t.name} with weight ${t.weight} due to ${cause}`,
        'HALO_W_CONFIG_ADJUSTED',
      );
      return false;
    }
    return true;
  });
}

/** Cross-references: track refs, sync group members, VRID clashes. */
export function resolveReferences(
  completed: CompletedInstance[],
  groupDrafts: SyncGroupDraft[],
  scriptList: VrrpScript[],
  fileList: VrrpTrackFile[],
  diags: Diagnostics,
): { instances: VrrpInstanceConfig[]; syncGroups: VrrpSyncGroup[] } {
  const scripts = new Map(scriptList.map((s) => [s.name, s]));
  const files = new Map(fileList.map((f) => [f.name, f]));
  const instances: VrrpInstanceConfig[] = completed.map(({ draft, ...inst }) => ({
    ...inst,
    ...resolveTracking(draft, `vrrp_instance ${inst.name}`, scripts, files, diags),
  }));
  const byName = new Map(instances.map((i) => [i.name, i]));

  const syncGroups: VrrpSyncGroup[] = [];
  for (const g of groupDrafts) {
    const members: string[] = [];
    for (const m of g.members) {
      const inst = byName.get(m.name);
      if (!inst)
        diags.error(m.pos, `vrrp_sync_group ${g.name}: unknown vrrp_instance '${m.name}'`, 'HALO_E_CONFIG_REF');
      else if (inst.syncGroup !== undefined)
        diags.error(
          m.pos,
          `vrrp_instance ${m.name} is already in vrrp_sync_group ${inst.syncGroup}`,
          'HALO_E_CONFIG_REF',
        );
      else if (members.includes(m.name)) {
        diags.warn(m.pos, `vrrp_sync_group ${g.name}: duplicate member ${m.name}; ignored`, 'HALO_W_CONFIG_IGNORED');
      } else {
        inst.syncGroup = g.name;
        members.push(m.name);
        if (!g.trackingWeight) dropFloatingWeights(inst, 'SYNC group', diags);
      }
    }
    syncGroups.push({
      name: g.name,
      instances: members,
      ...resolveTracking(g, `vrrp_sync_group ${g.name}`, scripts, files, diags),
      notify: g.notify,
      trackingWeight: g.trackingWeight,
      pos: g.pos,
    });
  }
  for (const inst of instances) {
    if (inst.priority === 255 && inst.syncGroup === undefined) dropFloatingWeights(inst, 'address owner', diags);
  }

  // RFC 5798 §5.2.3: a VRID identifies one virtual router per LAN; two local instances with the
  // same VRID, interface and family would answer each other's adverts (vrrp.c "duplicate VRID").
  const seen = new Map<string, VrrpInstanceConfig>();
  for (const inst of instances) {
    const family = inst.vips[0]?.address.includes(':') ? 6 : 4;
    const key = `${inst.interface}/${family}/${inst.vrid}/${inst.unicastPeers.join(',')}`;
    const other = seen.get(key);
    if (other)
      diags.error(
        inst.pos,
        `(${inst.name}) duplicate VRID ${inst.vrid} on ${inst.interface}: also used by ${other.name}`,
        'HALO_E_CONFIG_REF',
      );
    else seen.set(key, inst);
  }
  return { instances, syncGroups };
}
