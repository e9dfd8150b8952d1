/**
 * The systemIds of the node's actors. They are also the journal's `actor` field and the NATS
 * subject tokens (`halo.events.<node>.<kind>.<name>`), so they are built in one place.
 */
export const actorIds = {
  vrrp: (instance: string) => `vrrp:${instance}`,
  notify: (owner: string) => `notify:${owner}`,
  /** A group's queue is apart from an instance's of the same name. */
  groupNotify: (group: string) => `notify:group_${group}`,
  sync: (group: string) => `sync:${group}`,
  script: (name: string) => `track:${name}`,
  iface: (dev: string) => `track:if_${dev}`,
  file: (name: string) => `track:file_${name}`,
  server: (backend: string, server: string) => `server:${backend}/${server}`,
  proxy: (name: string) => `proxy:${name}`,
} as const;
