/**
 * Reading an HTTP check response, pure. Lenient where inetd-style agents are sloppy (the seed's
 * /opt/mysqlchk prints `echo -e "HTTP/1.1 200 OK\r\n"`, i.e. a status line, then an empty line,
 * then its "headers" as body, then closes): only the status line decides, as with haproxy's
 * `option httpchk`, where 2xx and 3xx mean UP unless `http-check expect` says otherwise.
 */
import type { HttpExpect } from './probe.types.js';
import { type Outcome, fail, pass } from './probeOutcome.js';

export interface HttpHead {
  status: number;
  statusLine: string;
  /** Lower-cased header names. */
  headers: Map<string, string>;
  /** Offset of the body in the buffer, or undefined while the header block is not complete. */
  bodyStart: number | undefined;
}

const STATUS_LINE = /^HTTP\/\d\.\d[ \t]+(\d{3})(?:[ \t].*)?$/;

/**
 * Parse what has arrived so far (latin1 text). Undefined: no complete status line yet.
 * Null: the first line is not an HTTP status line.
 */
export function parseHead(text: string): HttpHead | undefined | null {
  // Tolerate empty lines before the status line (RFC 9112 §2.2 asks servers to do so for requests).
  const start = text.search(/[^\r\n]/);
  if (start < 0) return undefined;
  const eol = text.indexOf('\n', start);
  if (eol < 0) return text.length - start > 8 && !/^HTTP\/\d/.test(text.slice(start)) ? null : undefined;
  const statusLine = text.slice(start, eol).replace(/\r$/, '');
  const m = STATUS_LINE.exec(statusLine);
  if (!m) return null;
  const headers = new Map<string, string>();
  let pos = eol + 1;
  for (;;) {
    const next = text.indexOf('\n', pos);
    if (next < 0) return { status: Number(m[1]), statusLine, headers, bodyStart: undefined };
    const line = text.slice(pos, next).replace(/\r$/, '');
    pos = next + 1;
    if (line === '') return { status: Number(m[1]), statusLine, headers, bodyStart: pos };
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
}

/** Does the check need the body (string / rstring expectations) or only the status line? */
export function needsBody(expect: HttpExpect | undefined): boolean {
  return expect?.kind === 'string' || expect?.kind === 'rstring';
}

/** Has the whole body arrived, going by Content-Length? (Without one, only the close tells.) */
export function bodyComplete(head: HttpHead, text: string): boolean {
  const length = head.headers.get('content-length');
  if (head.bodyStart === undefined || length === undefined || !/^\d+$/.test(length)) return false;
  return text.length - head.bodyStart >= Number(length);
}

/** `status` takes a comma-separated list of codes and ranges ("200,301-302"). */
function statusListMatches(list: string, status: number): boolean {
  return list.split(',').some((item) => {
    const [lo, hi] = item.trim().split('-');
    if (lo === undefined || lo === '') return false;
    return hi === undefined ? status === Number(lo) : status >= Number(lo) && status <= Number(hi);
  });
}

function matches(expect: HttpExpect, head: HttpHead, body: string): boolean {
  switch (expect.kind) {
    case 'status':
      return statusListMatches(expect.value, head.status);
    case 'rstatus':
      return new RegExp(expect.value).test(String(head.status));
    case 'string':
      return body.includes(expect.value);
    case 'rstring':
      return new RegExp(expect.value).test(body);
  }
}

/** The verdict on a parsed response; `body` is what was read of it (capped). */
export function judge(head: HttpHead, body: string, expect: HttpExpect | undefined): Outcome {
  if (!expect) {
    return head.status >= 200 && head.status < 400 ? pass(head.statusLine) : fail('bad_status', head.statusLine);
  }
  if (matches(expect, head, body) !== expect.negate) return pass(head.statusLine);
  const rule = `expect ${expect.negate ? '! ' : ''}${expect.kind} ${expect.value}`;
  return needsBody(expect)
    ? fail('bad_body', `${head.statusLine}: body does not satisfy "${rule}"`)
    : fail('bad_status', `${head.statusLine}: does not satisfy "${rule}"`);
}
