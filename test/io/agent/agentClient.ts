/** A raw TCP client for the agent tests: send bytes, collect everything until the agent closes. */
import { connect } from 'node:net';

export function exchange(port: number, request: string | Buffer | null): Promise<{ text: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let text = '';
    const s = connect({ host: '127.0.0.1', port }, () => {
      if (request !== null) s.write(request);
    });
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      text += d;
    });
    s.on('error', reject);
    s.on('close', () => resolve({ text, ms: Date.now() - started }));
  });
}
