/** A decimal integer within [min, max], or null; stricter than haproxy's atol, which ignores trailing junk. */
export function parseIntIn(text: string, min: number, max: number): number | null {
  if (!/^[0-9]{1,10}$/.test(text)) return null;
  const n = Number(text);
  return n >= min && n <= max ? n : null;
}

/** The largest count haproxy stores in its signed 32-bit integer settings (maxconn, retries, …). */
export const MAX_INT = 2 ** 31 - 1;
