/** The two daemons a bench compares, measured alternately in the same namespaces. */
export const KINDS = ['halo', 'keepalived'] as const;
export type Kind = (typeof KINDS)[number];
