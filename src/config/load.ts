/**
 * Loads the files given with -c into one model. A file is read as haproxy.cfg when its first
 * statement opens a haproxy section, otherwise as keepalived.conf; one of each kind at most
 * (keepalived's own `include` joins several keepalived files).
 */
import { readFileSync } from 'node:fs';
import { HaloError } from '../errors.js';
import type { WarningDiagnostic } from './diagnostics.js';
import type { LbConfig } from './lb.model.js';
import type { VrrpConfig } from './vrrp.model.js';

export type ConfigKind = 'keepalived' | 'haproxy';

export interface HaloConfig {
  vrrp: VrrpConfig | null;
  lb: LbConfig | null;
  warnings: WarningDiagnostic[];
  files: Array<{ path: string; kind: ConfigKind }>;
}

const HAPROXY_SECTIONS = new Set([
  'global',
  'defaults',
  'listen',
  'frontend',
  'backend',
  'resolvers',
  'peers',
  'userlist',
  'program',
  'mailers',
  'cache',
]);

export function detectKind(text: string): ConfigKind {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#!].*$/, '').trim();
    if (!line) continue;
    const word = line.split(/\s+/)[0] ?? '';
    return HAPROXY_SECTIONS.has(word) ? 'haproxy' : 'keepalived';
  }
  return 'keepalived';
}

/** Each kind's parser loads only when a file of that kind is given (`halo run` waits for it). */
export async function loadConfig(paths: string[]): Promise<HaloConfig> {
  if (paths.length === 0) throw new HaloError('HALO_E_USAGE', 'no configuration file given (use -c FILE)');
  const out: HaloConfig = { vrrp: null, lb: null, warnings: [], files: [] };
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new HaloError(
        'HALO_E_CONFIG_IO',
        `cannot read ${path}: ${(err as Error).message}`,
        { path },
        { cause: err },
      );
    }
    const kind = detectKind(text);
    if ((kind === 'keepalived' && out.vrrp) || (kind === 'haproxy' && out.lb)) {
      throw new HaloError(
        'HALO_E_USAGE',
        `${path}: a second ${kind} file; join them with ${kind === 'keepalived' ? '`include`' : 'one file'}`,
        { path },
      );
    }
    if (kind === 'keepalived') {
      const r = (await import('./keepalived/parser.js')).parseKeepalivedConf(path);
      out.vrrp = r.config;
      out.warnings.push(...r.warnings);
    } else {
      const r = (await import('./haproxy/parse.js')).parseHaproxyText(text, path);
      out.lb = r.config;
      out.warnings.push(...r.warnings);
    }
    out.files.push({ path, kind });
  }
  return out;
}
