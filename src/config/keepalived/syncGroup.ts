import type { SourcePos } from '../../errors.js';
import type { Diagnostics } from '../diagnostics.js';
import { dispatch, type KeywordTable, type Stmt } from './blocks.js';
import { sectionName } from './scripts.js';
import { emptyTracking, namesOf, type TrackingDraft, trackingKeywords } from './tracking.js';
import { noArgs } from './values.js';

export interface SyncGroupDraft extends TrackingDraft {
  name: string;
  members: { name: string; pos: SourcePos }[];
  trackingWeight: boolean;
  pos: SourcePos;
}

function syncGroupKeywords(diags: Diagnostics): KeywordTable<SyncGroupDraft> {
  return {
    ...trackingKeywords(diags),
    group: {
      block: true,
      handle(stmt, g) {
        // vrrp_group_handler: "Group list already specified for sync group".
        if (g.members.length > 0)
          diags.error(stmt.pos, `vrrp_sync_group ${g.name}: group list already specified`, 'HALO_E_CONFIG_SYNTAX');
        else g.members = namesOf(stmt, diags);
      },
    },
    sync_group_tracking_weight: {
      handle(stmt, g) {
        if (noArgs(stmt, diags)) g.trackingWeight = true;
      },
    },
    global_tracking: {
      handle(stmt, g) {
        diags.warn(
          stmt.pos,
          'global_tracking is deprecated; treated as sync_group_tracking_weight (keepalived does the same)',
          'HALO_W_CONFIG_DEPRECATED',
        );
        g.trackingWeight = true;
      },
    },
  };
}

export function parseSyncGroup(stmt: Stmt, diags: Diagnostics): SyncGroupDraft | undefined {
  const name = sectionName(stmt, diags);
  if (name === undefined) return undefined;
  const draft: SyncGroupDraft = { ...emptyTracking(), name, members: [], trackingWeight: false, pos: stmt.pos };
  dispatch(stmt.block ?? [], syncGroupKeywords(diags), draft, `vrrp_sync_group ${name}`, diags);
  if (draft.members.length === 0) {
    diags.error(stmt.pos, `vrrp_sync_group ${name} has no members`);
    return undefined;
  }
  return draft;
}
