/**
 * HTTP POST of one alert as JSON, retried with exponential backoff. Retried: network errors,
 * timeouts, 5xx and 429 (the receiver is down or shedding load); not retried: other 4xx (the
 * request itself is wrong, sending it again cannot help). `Idempotency-Key` lets a receiver drop
 * the rare duplicate that at-least-once delivery allows.
 */
import { sleep } from '../sleep.js';

export interface WebhookTarget {
  url: string;
  timeoutMs: number;
  /** Attempts after the first. */
  retries: number;
  backoffMs: number;
  maxBackoffMs: number;
  headers: Record<string, string>;
}

export interface WebhookResult {
  ok: boolean;
  attempts: number;
  /** Last HTTP status, or null when no response came. */
  status: number | null;
  error?: string;
}

export interface WebhookOptions {
  idempotencyKey: string;
  signal?: AbortSignal;
  /** Called before each retry (for the log). */
  onRetry?: (attempt: number, delayMs: number, why: string) => void;
}

export async function postWebhook(target: WebhookTarget, body: unknown, opts: WebhookOptions): Promise<WebhookResult> {
  const payload = JSON.stringify(body);
  let status: number | null = null;
  let error: string | undefined;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const signal = opts.signal
        ? AbortSignal.any([opts.signal, AbortSignal.timeout(target.timeoutMs)])
        : AbortSignal.timeout(target.timeoutMs);
      const res = await fetch(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': opts.idempotencyKey, ...target.headers },
        body: payload,
        signal,
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true, attempts: attempt, status };
      error = `HTTP ${res.status}`;
      if (res.status < 500 && res.status !== 429) return { ok: false, attempts: attempt, status, error };
    } catch (err) {
      status = null;
      error = (err as Error).message;
    }
    if (attempt > target.retries || opts.signal?.aborted)
      return { ok: false, attempts: attempt, status, ...(error === undefined ? {} : { error }) };
    const delay = Math.min(target.maxBackoffMs, target.backoffMs * 2 ** (attempt - 1));
    opts.onRetry?.(attempt, delay, error ?? 'unknown');
    await sleep(delay, opts.signal);
  }
}
