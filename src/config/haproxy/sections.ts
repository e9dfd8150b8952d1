import type { SourcePos } from '../../errors.js';
import type { Diagnostics } from '../diagnostics.js';
import type { LbGlobal } from '../lb.model.js';
import { applyGlobalStatement, initialGlobal } from './global.js';
import type { Statement } from './lines.js';
import { initialSettings, type ProxyDraft, type ProxyKind } from './proxy.js';
import { applyProxyStatement } from './proxyKeywords.js';

/** Sections haproxy has that halo does not use; their bodies are skipped with one warning. */
const FOREIGN_SECTIONS = new Set([
  'userlist',
  'peers',
  'mailers',
  'resolvers',
  'cache',
  'program',
  'http-errors',
  'ring',
  'log-forward',
  'fcgi-app',
]);

/** configuration.txt 4: proxy names use letters, digits, '-', '_', '.' and ':'. */
const PROXY_NAME = /^[A-Za-z0-9_.:-]+$/;

export interface SectionsResult {
  global: LbGlobal;
  /** listen/frontend/backend sections in file order, each already carrying its defaults. */
  proxies: ProxyDraft[];
}

type Current = { kind: 'global' } | { kind: 'proxy'; draft: ProxyDraft } | { kind: 'skip' } | { kind: 'none' };

/**
 * Walks the statements section by section (configuration.txt 2.1 rules 6-7) and applies the
 * inheritance of section 4: each proxy starts from a copy of the defaults section named by
 * `from`, else of the most recent defaults section before it, else of haproxy's documented
 * settings. A defaults section may itself start `from` another one.
 */
export function readSections(statements: readonly Statement[], file: string, diag: Diagnostics): SectionsResult {
  const global = initialGlobal(file);
  const proxies: ProxyDraft[] = [];
  const namedDefaults = new Map<string, ProxyDraft>();
  let lastDefaults: ProxyDraft | null = null;
  let current: Current = { kind: 'none' };

  for (const { words, pos } of statements) {
    const keyword = words[0]!;
    if (keyword === 'global') {
      if (global.pos.line === 0) global.pos = pos;
      if (words.length > 1)
        diag.warn(pos, `'global' takes no arguments; '${words.slice(1).join(' ')}' ignored`, 'HALO_W_CONFIG_IGNORED');
      current = { kind: 'global' };
    } else if (keyword === 'defaults' || keyword === 'listen' || keyword === 'frontend' || keyword === 'backend') {
      const header = readHeader(keyword, words, pos, diag);
      const parent = header.from === null ? lastDefaults : (namedDefaults.get(header.from) ?? null);
      if (header.from !== null && parent === null) {
        diag.error(
          pos,
          `${keyword} '${header.name}': no defaults section named '${header.from}' before it`,
          'HALO_E_CONFIG_REF',
        );
      }
      // A bare defaults section resets to the documented settings (configuration.txt 4).
      const inherit = keyword === 'defaults' && header.from === null ? null : parent;
      const settings = inherit === null ? initialSettings() : structuredClone(inherit.settings);
      const draft: ProxyDraft = {
        kind: keyword,
        name: header.name,
        pos,
        settings,
        binds: [],
        servers: [],
        useBackends: [],
        acls: [],
      };
      if (keyword === 'defaults') {
        lastDefaults = draft;
        if (header.name !== '') namedDefaults.set(header.name, draft);
      } else {
        proxies.push(draft);
      }
      current = { kind: 'proxy', draft };
    } else if (FOREIGN_SECTIONS.has(keyword)) {
      diag.warn(
        pos,
        `'${keyword}' sections are not supported by halo; the section is ignored`,
        'HALO_W_CONFIG_UNSUPPORTED',
      );
      current = { kind: 'skip' };
    } else if (current.kind === 'global') {
      applyGlobalStatement(global, words, pos, diag);
    } else if (current.kind === 'proxy') {
      applyProxyStatement(current.draft, words, pos, diag);
    } else if (current.kind === 'none') {
      diag.warn(pos, `keyword '${keyword}' outside of any section; ignored`, 'HALO_W_CONFIG_IGNORED');
    }
  }
  return { global, proxies };
}

/** `KIND [NAME] [from DEFAULTS]`; the name is optional only for defaults. */
function readHeader(
  kind: ProxyKind,
  words: readonly string[],
  pos: SourcePos,
  diag: Diagnostics,
): { name: string; from: string | null } {
  const args = words.slice(1);
  let name = '';
  if (args[0] !== undefined && args[0] !== 'from') name = args.shift()!;
  let from: string | null = null;
  if (args[0] === 'from') {
    from = args[1] ?? null;
    if (from === null) diag.error(pos, `'${kind}': 'from' expects a defaults section name`, 'HALO_E_CONFIG_SYNTAX');
    args.splice(0, 2);
  }
  if (args.length > 0)
    diag.warn(pos, `'${kind} ${name}': extra words '${args.join(' ')}' ignored`, 'HALO_W_CONFIG_IGNORED');
  if (name === '' && kind !== 'defaults') diag.error(pos, `'${kind}' expects a name`, 'HALO_E_CONFIG_SYNTAX');
  else if (name !== '' && !PROXY_NAME.test(name))
    diag.error(pos, `${kind} name '${name}' may only contain letters, digits, '-', '_', '.' and ':'`);
  return { name, from };
}
