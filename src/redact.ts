/**
 * The one rule for secrets in anything halo prints, logs, journals or publishes: a key that
 * names a password, secret, token, seed or VRRP auth_pass has its value replaced. Words are
 * matched whole (camelCase and snake_case boundaries), so `passiveErrors` or `bypass` stay visible.
 */
const SECRET_WORD = /^(pass|passwd|password|secret|token|seed|auth_?pass|creds)$/i;
const CAMEL_SUFFIX = /[a-z0-9](Pass|Passwd|Password|Secret|Token|Seed)$/;
const SNAKE_SUFFIX = /_(pass|passwd|password|secret|token|seed)$/i;

export const REDACTED = '[redacted]';

export function isSecretKey(key: string): boolean {
  return SECRET_WORD.test(key) || CAMEL_SUFFIX.test(key) || SNAKE_SUFFIX.test(key);
}
