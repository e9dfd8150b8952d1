/**
 * Which of a VRRP instance's timers run on the node clock's precise spin, and their names. The
 * machine's own delay formulas stay as they are; the wiring wraps them so that each one, as it
 * resolves, tags the timer xstate is about to arm (see PreciseClock.precise). A timer is then
 * known by its name (`vrrp:VI_1/masterDown`), not by its length.
 */
import { vrrpInstanceMachine } from '../machines/vrrp/vrrpInstance.machine.js';
import { actorIds } from './actorIds.js';
import type { PreciseClock } from './preciseClock.js';

/**
 * The RFC timers a takeover or a master's advert rhythm is made of: Adver_Timer,
 * Master_Down_Timer (also armed to Skew_Time on a priority-0 advert) and keepalived's
 * preempt_delay. The GARP delays are keepalived's repeats, not RFC deadlines: plain timers.
 */
const PRECISE_DELAYS = ['adverInterval', 'masterDown', 'preemptDelay'] as const;
export type PreciseVrrpDelay = (typeof PRECISE_DELAYS)[number];

type VrrpDelays = NonNullable<NonNullable<Parameters<typeof vrrpInstanceMachine.provide>[0]>['delays']>;
type VrrpDelay = Extract<NonNullable<VrrpDelays[PreciseVrrpDelay]>, (...args: never[]) => number>;

export function vrrpTimerName(instance: string, delay: PreciseVrrpDelay): string {
  return `${actorIds.vrrp(instance)}/${delay}`;
}

/** The delays to `.provide()` to the instance's machine so its RFC timers are tagged precise. */
export function preciseVrrpDelays(clock: PreciseClock, instance: string): Record<PreciseVrrpDelay, VrrpDelay> {
  const own = vrrpInstanceMachine.implementations.delays;
  const tagged = (delay: PreciseVrrpDelay): VrrpDelay => {
    const name = vrrpTimerName(instance, delay);
    const formula = own[delay] as VrrpDelay | number;
    return (args, params) => clock.precise(name, typeof formula === 'number' ? formula : formula(args, params));
  };
  const entries = PRECISE_DELAYS.map((delay) => [delay, tagged(delay)] as const);
  return Object.fromEntries(entries) as Record<PreciseVrrpDelay, VrrpDelay>;
}
