/**
 * NATS settings for the event stream, and their translation into client connection options.
 * Secrets (token, pass, seed, creds) are read here and handed to the client only; they never
 * reach a log line or an envelope (their key names match src/redact.ts and log.ts'
 * redaction).
 */
import { readFile } from 'node:fs/promises';
import { credsAuthenticator, type NodeConnectionOptions, nkeyAuthenticator } from '@nats-io/transport-node';
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
  try {
    if (cfg.credsFile !== undefined) opts.authenticator = credsAuthenticator(await readFile(cfg.credsFile));
    else if (cfg.nkeySeed !== undefined) opts.authenticator = nkeyAuthenticator(new TextEncoder().encode(cfg.nkeySeed));
  } catch (err) {
    throw new HaloError('HALO_E_NATS', `cannot read NATS credentials ${cfg.credsFile ?? '(nkey seed)'}`, { credsFile: cfg.credsFile }, { cause: err });
  }
  if (cfg.tls) {
    opts.tls = {};
    if (cfg.tls.caFile !== undefined) opts.tls.caFile = cfg.tls.caFile;
    if (cfg.tls.certFile !== undefined) opts.tls.certFile = cfg.tls.certFile;
    if (cfg.tls.keyFile !== undefined) opts.tls.keyFile = cfg.tls.keyFile;
  }
  return opts;
}
