import assert from 'node:assert/strict';
import { test } from 'node:test';
import { natsConfigFromEnv } from '../../../src/io/journal/natsConfig.js';

test('no HALO_NATS_URL means no NATS: the local journal alone', () => {
  assert.equal(natsConfigFromEnv({}), null);
  assert.equal(natsConfigFromEnv({ HALO_NATS_URL: '  ' }), null);
});

test('servers, credentials, TLS files and stream limits come from the environment', () => {
  const cfg = natsConfigFromEnv({
    HALO_NATS_URL: 'nats://10.0.0.1:4222, nats://10.0.0.2:4222',
    HALO_NATS_TOKEN: 't0k',
    HALO_NATS_CREDS: '/etc/halo/halo.creds',
    HALO_NATS_TLS_CA: '/etc/halo/ca.pem',
    HALO_NATS_STREAM_REPLICAS: '3',
    HALO_NATS_STREAM_MAX_AGE_MS: '604800000',
  });
  assert.deepEqual(cfg, {
    servers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'],
    token: 't0k',
    credsFile: '/etc/halo/halo.creds',
    tls: { caFile: '/etc/halo/ca.pem' },
    stream: { replicas: 3, maxAgeMs: 604800000 },
  });
});

test('a malformed number is a clear HALO_E_NATS error, not NaN in the stream config', () => {
  assert.throws(
    () => natsConfigFromEnv({ HALO_NATS_URL: 'nats://x', HALO_NATS_STREAM_REPLICAS: 'three' }),
    (err: unknown) => {
      return (err as { code?: string }).code === 'HALO_E_NATS' && /HALO_NATS_STREAM_REPLICAS/.test(String(err));
    },
  );
});
