/**
 * Runs one alert action for one envelope: a log line, a script (the envelope as JSON on its
 * stdin), or a webhook. An action reports success or failure and never throws: the consumer
 * decides what a failure means (redelivery).
 */
import { runCommand } from '../exec.js';
import type { EventEnvelope } from '../journal/envelope.js';
import type { Logger } from '../log.js';
import type { AlertAction } from './rules.js';
import { postWebhook } from './webhook.js';

export interface ActionContext {
  rule: string;
  env: EventEnvelope;
  log: Logger;
  signal?: AbortSignal;
}

export interface ActionOutcome {
  ok: boolean;
  detail: string;
}

/** `{node} {actor}: {from} -> {to}`; unknown names stay as written. */
export function renderTemplate(template: string, rule: string, env: EventEnvelope): string {
  const fields: Record<string, string> = {
    rule,
    id: env.id,
    node: env.node,
    actor: env.actor,
    machine: env.machine,
    from: env.from ?? '-',
    to: env.to,
    event: env.event.type,
    ts: new Date(env.ts).toISOString(),
  };
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => fields[name] ?? whole);
}

/**
 * exec.ts runs scripts with stdin closed; the envelope reaches the script's stdin through a
 * private temp file and the shell's `<`, so timeouts and process-group kills stay in one place.
 */
async function runExec(argv: string[], timeoutMs: number, ctx: ActionContext): Promise<ActionOutcome> {
  const r = await runCommand(argv, {
    timeoutMs,
    stdin: `${JSON.stringify(ctx.env)}\n`,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    env: { HALO_ALERT_RULE: ctx.rule, HALO_EVENT_ID: ctx.env.id },
  });
  if (r.exitCode === 0) return { ok: true, detail: `exit 0 in ${Math.round(r.durationMs)} ms` };
  const why = r.timedOut
    ? `timed out after ${timeoutMs} ms`
    : r.exitCode !== null
      ? `exit ${r.exitCode}`
      : `signal ${r.signal ?? '?'}`;
  return { ok: false, detail: `${why}${r.stderr ? `: ${r.stderr.trim().slice(0, 200)}` : ''}` };
}

export async function runAction(action: AlertAction, ctx: ActionContext): Promise<ActionOutcome> {
  switch (action.kind) {
    case 'log':
      ctx.log.warn(
        {
          rule: ctx.rule,
          id: ctx.env.id,
          node: ctx.env.node,
          actor: ctx.env.actor,
          from: ctx.env.from,
          to: ctx.env.to,
        },
        renderTemplate(action.message, ctx.rule, ctx.env),
      );
      return { ok: true, detail: 'logged' };
    case 'exec':
      return runExec(action.argv, action.timeoutMs, ctx);
    case 'webhook': {
      const r = await postWebhook(
        action,
        { rule: ctx.rule, event: ctx.env },
        {
          idempotencyKey: `${ctx.rule}:${ctx.env.id}`,
          ...(ctx.signal ? { signal: ctx.signal } : {}),
          onRetry: (attempt, delayMs, why) =>
            ctx.log.warn(
              { rule: ctx.rule, id: ctx.env.id, url: action.url, attempt, delayMs, why },
              'alerts: webhook failed; retrying',
            ),
        },
      );
      return {
        ok: r.ok,
        detail: r.ok
          ? `HTTP ${r.status} after ${r.attempts} attempt(s)`
          : `${r.error ?? 'failed'} after ${r.attempts} attempt(s)`,
      };
    }
  }
}
