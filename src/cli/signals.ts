/**
 * How long a graceful stop of `halo run` may take: more than its own bounded steps need (the
 * VRRP instances' 2 s, a notify_stop script's 30 s timeout, the journal's 5 s close), less
 * than a supervisor waits (systemd's default TimeoutStopSec is 90 s). Past it the daemon exits 1.
 */
export const STOP_BOUND_MS = 40_000;

/**
 * Resolves with the first SIGTERM or SIGINT: how every long-running command learns to stop. The
 * handlers go with it, so a second signal during the stop ends the process at once (the
 * operator's "now").
 */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (sig: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(sig);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
