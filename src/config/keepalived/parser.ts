import { readFileSync } from 'node:fs';
import { HaloError } from '../../errors.js';
import { type Diagnostic, Diagnostics, type ParseResult } from '../diagnostics.js';

export type { ParseResult };
import type { VrrpConfig, VrrpScript, VrrpTrackFile } from '../vrrp.model.js';
import { buildTree, dispatch, type KeywordTable } from './blocks.js';
import { completeInstance } from './completeInstance.js';
import { defaultGlobals, parseGlobalDefs } from './globalDefs.js';
import { callbackIncludeSource, fsIncludeSource, type IncludeSource, readConfItems } from './include.js';
import { resolveReferences, resolveTracking } from './resolve.js';
import { parseTrackFile, parseVrrpScript } from './scripts.js';
import { parseSyncGroup, type SyncGroupDraft } from './syncGroup.js';
import { type InstanceDraft, parseInstance } from './vrrpInstance.js';

interface TopState {
  config: VrrpConfig;
  /** Instances as written; completed after the whole file is read (see parseWith). */
  drafts: InstanceDraft[];
  groups: SyncGroupDraft[];
}

/** Adds a named section unless the name is taken (keepalived: "... already defined"). */
function addUnique<T extends { name: string; pos: { file: string; line: number } }>(
  list: T[],
  item: T | undefined,
  kind: string,
  diags: Diagnostics,
): void {
  if (!item) return;
  const first = list.find((x) => x.name === item.name);
  if (first)
    diags.error(
      item.pos,
      `${kind} ${item.name} already defined at ${first.pos.file}:${first.pos.line}`,
      'HALO_E_CONFIG_REF',
    );
  else list.push(item);
}

/** Sections outside the VRRP side (LVS, BFD, ...) are skipped whole with one warning each. */
function topKeywords(diags: Diagnostics): KeywordTable<TopState> {
  return {
    global_defs: { block: true, handle: (stmt, s) => parseGlobalDefs(stmt, s.config.globals, diags) },
    vrrp_script: {
      block: true,
      handle: (stmt, s) => addUnique<VrrpScript>(s.config.scripts, parseVrrpScript(stmt, diags), 'vrrp_script', diags),
    },
    track_file: {
      block: true,
      handle: (stmt, s) =>
        addUnique<VrrpTrackFile>(s.config.trackFiles, parseTrackFile(stmt, diags), 'track_file', diags),
    },
    vrrp_track_file: {
      block: true,
      handle: (stmt, s) =>
        addUnique<VrrpTrackFile>(s.config.trackFiles, parseTrackFile(stmt, diags), 'track_file', diags),
    },
    vrrp_sync_group: {
      block: true,
      handle: (stmt, s) => addUnique(s.groups, parseSyncGroup(stmt, diags), 'vrrp_sync_group', diags),
    },
    vrrp_instance: {
      block: true,
      handle(stmt, s) {
        addUnique(s.drafts, parseInstance(stmt, s.config.globals, diags), 'vrrp_instance', diags);
      },
    },
  };
}

/**
 * Parses keepalived.conf text into halo's VRRP model. Every problem is collected first; then one
 * HaloError lists all errors with file:line, and warnings come back for the caller to log.
 * `readInclude` serves includes for tests (wildcards are not expanded without a directory);
 * without it includes are read and globbed from the file system.
 */
export function parseKeepalivedText(
  text: string,
  file: string,
  readInclude?: (path: string) => string,
): ParseResult<VrrpConfig> {
  const source: IncludeSource = readInclude ? callbackIncludeSource(readInclude) : fsIncludeSource;
  return parseWith(text, file, source);
}

/** Reads `path` and everything it includes (sync I/O: this runs once, at start or `halo check`). */
export function parseKeepalivedConf(path: string): ParseResult<VrrpConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new HaloError('HALO_E_CONFIG_IO', `cannot read ${path}: ${(err as Error).message}`, { path }, { cause: err });
  }
  return parseWith(text, path, fsIncludeSource);
}

/**
 * Every finding for `path`, errors and warnings, without throwing: what `halo check` prints.
 * An unreadable main file is itself a finding.
 */
export function checkKeepalivedConf(path: string): Diagnostic[] {
  const diags = new Diagnostics();
  try {
    build(readFileSync(path, 'utf8'), path, fsIncludeSource, diags);
  } catch (err) {
    diags.error({ file: path, line: 0 }, `cannot read ${path}: ${(err as Error).message}`, 'HALO_E_CONFIG_IO');
  }
  return diags.items;
}

function parseWith(text: string, file: string, source: IncludeSource): ParseResult<VrrpConfig> {
  const diags = new Diagnostics();
  const config = build(text, file, source, diags);
  diags.throwIfErrors();
  return { config, warnings: diags.warnings };
}

function build(text: string, file: string, source: IncludeSource, diags: Diagnostics): VrrpConfig {
  const tree = buildTree(readConfItems(text, file, source, diags), diags);
  const state: TopState = {
    config: { globals: defaultGlobals({ file, line: 1 }), scripts: [], trackFiles: [], instances: [], syncGroups: [] },
    drafts: [],
    groups: [],
  };
  dispatch(tree, topKeywords(diags), state, 'the top level', diags);

  const scriptsByName = new Map(state.config.scripts.map((x) => [x.name, x]));
  const filesByName = new Map(state.config.trackFiles.map((x) => [x.name, x]));
  // keepalived completes instances after reading everything (vrrp_complete_init), so the final
  // global vrrp_version applies to all of them.
  const completed = state.drafts.flatMap((draft) => {
    const done = completeInstance(draft, state.config.globals, diags);
    if (!done) resolveTracking(draft, `vrrp_instance ${draft.name}`, scriptsByName, filesByName, diags);
    return done ?? [];
  });
  const knownGroups = state.groups.map((g) => ({
    ...g,
    // Members that exist but failed to complete already have an error of their own.
    members: g.members.filter(
      (m) => completed.some((c) => c.name === m.name) || !state.drafts.some((d) => d.name === m.name),
    ),
  }));
  const { instances, syncGroups } = resolveReferences(
    completed,
    knownGroups,
    state.config.scripts,
    state.config.trackFiles,
    diags,
  );
  return { ...state.config, instances, syncGroups };
}
