/**
 * NATS settings for the event stream, and their translation into client connection options.
 * Secrets (token, pass, seed, creds) are read here and handed to the client only; they never
 * reach a log line or an envelope (their key names match src/redact.ts and log.ts'
 * redaction).
 */
import { readFile } from 'node:fs/promises';
import type { NodeConnectionOptions } from '@nats-io/transport-node';
import { HaloError } from '../../errors.js';

export interface NatsEventsConfig {
  servers: string[];
  token?: string;
  user?: string;
  pass?: string;
  nkeySeed?: string;
  credsFile?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  stream?: {
    /** Default HALO_EVENTS. */
    name?: string;
    /** Default 1. */
    replicas?: number;
    /** Default: no age limit. */
    maxAgeMs?: number;
    /** Default: no size limit. */
    maxBytes?: number;
  };
}

export const DEFAULT_STREAM = 'HALO_EVENTS';

/**
 * The event stream's NATS settings from the environment, until halo.yaml carries them:
 * HALO_NATS_URL (comma-separated; `nats://user:pass@host:port` works), HALO_NATS_TOKEN,
 * HALO_NATS_USER / HALO_NATS_PASS, HALO_NATS_NKEY_SEED, HALO_NATS_CREDS (file),
 * HALO_NATS_TLS_CA / _CERT / _KEY (files), HALO_NATS_STREAM_REPLICAS, HALO_NATS_STREAM_MAX_AGE_MS,
 * HALO_NATS_STREAM_MAX_BYTES. No HALO_NATS_URL: no NATS, the local journal alone.
 */
export function natsConfigFromEnv(env: NodeJS.ProcessEnv = process.env): NatsEventsConfig | null {
  const url = env.HALO_NATS_URL?.trim();
  if (!url) return null;
  const num = (name: string): number | undefined => {
    const text = env[name];
    if (text === undefined || text === '') return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0)
      throw new HaloError('HALO_E_NATS', `${name}='${text}' must be a whole number`, { name });
    return n;
  };
  const tls = {
    ...(env.HALO_NATS_TLS_CA ? { caFile: env.HALO_NATS_TLS_CA } : {}),
    ...(env.HALO_NATS_TLS_CERT ? { certFile: env.HALO_NATS_TLS_CERT } : {}),
    ...(env.HALO_NATS_TLS_KEY ? { keyFile: env.HALO_NATS_TLS_KEY } : {}),
  };
  const replicas = num('HALO_NATS_STREAM_REPLICAS');
  const maxAgeMs = num('HALO_NATS_STREAM_MAX_AGE_MS');
  const maxBytes = num('HALO_NATS_STREAM_MAX_BYTES');
  const stream = {
    ...(replicas !== undefined ? { replicas } : {}),
    ...(maxAgeMs !== undefined ? { maxAgeMs } : {}),
    ...(maxBytes !== undefined ? { maxBytes } : {}),
  };
  return {
    servers: url
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    ...(env.HALO_NATS_TOKEN ? { token: env.HALO_NATS_TOKEN } : {}),
    ...(env.HALO_NATS_USER ? { user: env.HALO_NATS_USER } : {}),
    ...(env.HALO_NATS_PASS ? { pass: env.HALO_NATS_PASS } : {}),
    ...(env.HALO_NATS_NKEY_SEED ? { nkeySeed: env.HALO_NATS_NKEY_SEED } : {}),
    ...(env.HALO_NATS_CREDS ? { credsFile: env.HALO_NATS_CREDS } : {}),
    ...(Object.keys(tls).length ? { tls } : {}),
    ...(Object.keys(stream).length ? { stream } : {}),
  };
}

/**
 * Client options that never give up: reconnect forever with a short wait, so an outage only
 * delays events (the journal holds them). `name` shows the node in `nats server report`.
 */
export async function connectionOptions(cfg: NatsEventsConfig, name: string): Promise<NodeConnectionOptions> {
  const opts: NodeConnectionOptions = {
    servers: cfg.servers,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    pingInterval: 10_000,
    timeout: 5_000,
  };
  if (cfg.token !== undefined) opts.token = cfg.token;
  if (cfg.user !== undefined) opts.user = cfg.user;
  if (cfg.pass !== undefined) opts.pass = cfg.pass;
  // Loaded here, not with the module: reading the settings (every `halo run` does) needs no client.
  const { credsAuthenticator, nkeyAuthenticator } = await import('@nats-io/transport-node');
  try {
    if (cfg.credsFile !== undefined) opts.authenticator = credsAuthenticator(await readFile(cfg.credsFile));
    else if (cfg.nkeySeed !== undefined) opts.authenticator = nkeyAuthenticator(new TextEncoder().encode(cfg.nkeySeed));
  } catch (err) {
    throw new HaloError(
      'HALO_E_NATS',
      `cannot read NATS credentials ${cfg.credsFile ?? '(nkey seed)'}`,
      { credsFile: cfg.credsFile },
      { cause: err },
    );
  }
  if (cfg.tls) {
    opts.tls = {};
    if (cfg.tls.caFile !== undefined) opts.tls.caFile = cfg.tls.caFile;
    if (cfg.tls.certFile !== undefined) opts.tls.certFile = cfg.tls.certFile;
    if (cfg.tls.keyFile !== undefined) opts.tls.keyFile = cfg.tls.keyFile;
  }
  return opts;
}
