/** One envelope as the line an operator reads (`halo events`, `halo replay --timeline`). */
import { eventLabel } from '../actors/transitionMapper.js';
import type { EventEnvelope } from '../io/journal/envelope.js';

/** The few context fields an operator scans for, when the machine has them. */
export function contextSummary(ctx: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof ctx.effectivePriority === 'number') parts.push(`prio=${ctx.effectivePriority}`);
  if (typeof ctx.masterIp === 'string') parts.push(`master=${ctx.masterIp}`);
  if (Array.isArray(ctx.faultReasons) && ctx.faultReasons.length > 0) {
    parts.push(`fault=${JSON.stringify(ctx.faultReasons.join('; '))}`);
  }
  if (typeof ctx.health === 'number') parts.push(`health=${ctx.health}`);
  const check = ctx.lastCheck as { reason?: unknown } | null | undefined;
  if (check && typeof check.reason === 'string') parts.push(`check=${check.reason}`);
  return parts.join(' ');
}

/** `2026-11-25T03:14:00.123Z node-b vrrp:VI_1 backup -> master (after masterDown) prio=100` */
export function formatEnvelope(env: EventEnvelope): string {
  const when = new Date(env.ts).toISOString();
  const head = `${when} ${env.node} ${env.actor} ${env.from ?? '-'} -> ${env.to} (${eventLabel(env.event.type)})`;
  const summary = contextSummary(env.context);
  return summary ? `${head} ${summary}` : head;
}
