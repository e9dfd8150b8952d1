/**
 * Which managed VIPs this node holds right now. The VRRP part reports each address once
 * `ip addr add/del` has completed; the load balancer's listeners on a VIP follow it (listen
 * while held), which replaces the seed's start_haproxy.sh / stop_haproxy.sh dance.
 */
export type VipListener = (address: string, present: boolean) => void;

export class VipPresence {
  private readonly managed = new Set<string>();
  private readonly held = new Set<string>();
  private readonly listeners = new Set<VipListener>();

  /** Addresses some VRRP instance owns: a listener on one of them waits for it. */
  manage(addresses: Iterable<string>): void {
    for (const a of addresses) this.managed.add(a);
  }

  isManaged(address: string): boolean {
    return this.managed.has(address);
  }

  has(address: string): boolean {
    return this.held.has(address);
  }

  set(address: string, present: boolean): void {
    if (present === this.held.has(address)) return;
    if (present) this.held.add(address);
    else this.held.delete(address);
    for (const l of this.listeners) l(address, present);
  }

  subscribe(listener: VipListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
