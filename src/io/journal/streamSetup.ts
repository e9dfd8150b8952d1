/**
 * The JetStream stream the events go to: created when missing, and an existing one (the
 * operator's) checked only for what delivery needs: it captures `halo.events.>` and its
 * duplicate window covers a publisher restart, so re-sent ids are dropped.
 */
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  JetStreamError,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { type NatsConnection, nanos } from '@nats-io/transport-node';
import { HaloError } from '../../errors.js';
import type { Logger } from '../log.js';
import { SUBJECT_PREFIX } from './envelope.js';
import { DEFAULT_STREAM, type NatsEventsConfig } from './natsConfig.js';

const STREAM_SUBJECTS = `${SUBJECT_PREFIX}.>`;
/** JetStream's default; the floor, so a publisher restart inside it never duplicates. */
const MIN_DUPLICATE_WINDOW_MS = 120_000;

export const streamNameOf = (config: NatsEventsConfig): string => config.stream?.name ?? DEFAULT_STREAM;

/** A publish failed because the stream (or JetStream) is not there: set it up again. */
export function isStreamMissing(err: unknown): boolean {
  return (
    (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) ||
    (err instanceof JetStreamError && /not enabled|no responders/i.test(err.message))
  );
}

export async function ensureStream(
  conn: NatsConnection,
  config: NatsEventsConfig,
  log: Logger,
  timeoutMs: number,
): Promise<void> {
  const streamName = streamNameOf(config);
  const jsm = await jetstreamManager(conn, { timeout: timeoutMs });
  const dupWindow = nanos(MIN_DUPLICATE_WINDOW_MS);
  let cfg: Awaited<ReturnType<typeof jsm.streams.info>>['config'];
  try {
    cfg = (await jsm.streams.info(streamName)).config;
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
    await jsm.streams.add({
      name: streamName,
      subjects: [STREAM_SUBJECTS],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      num_replicas: config.stream?.replicas ?? 1,
      max_age: nanos(config.stream?.maxAgeMs ?? 0),
      max_bytes: config.stream?.maxBytes ?? -1,
      duplicate_window: dupWindow,
    });
    log.info({ stream: streamName, subjects: STREAM_SUBJECTS }, 'nats: stream created');
    return;
  }
  if (!cfg.subjects?.includes(STREAM_SUBJECTS)) {
    throw new HaloError('HALO_E_NATS', `stream ${streamName} does not capture ${STREAM_SUBJECTS}`, {
      stream: streamName,
      subjects: cfg.subjects,
    });
  }
  if (cfg.duplicate_window < dupWindow) {
    await jsm.streams.update(streamName, { ...cfg, duplicate_window: dupWindow });
    log.warn({ stream: streamName, was: cfg.duplicate_window }, 'nats: raised duplicate window to 2 min');
  }
}
