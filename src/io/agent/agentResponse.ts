/**
 * The HTTP answers of the MySQL check agent. Same status lines and body text as the seed's
 * /opt/mysqlchk ("HTTP/1.1 200 OK" + "MySQL is running.", "HTTP/1.1 503 Service Unavailable" +
 * "MySQL is *down*." + the error), but well-formed: real headers, a correct Content-Length,
 * and none of the stray blank lines that bash's `echo -e "...\r\n"` added.
 */
export const AGENT_UP_TEXT = 'MySQL is running.';
export const AGENT_DOWN_TEXT = 'MySQL is *down*.';

function response(statusLine: string, body: string): string {
  return (
    `${statusLine}\r\n` +
    'Content-Type: text/plain\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n' +
    '\r\n' +
    body
  );
}

export function upResponse(): string {
  return response('HTTP/1.1 200 OK', `${AGENT_UP_TEXT}\r\n`);
}

/** `why` is one line (a probe detail or "<file> found"); CR/LF in it are flattened. */
export function downResponse(why: string): string {
  return response('HTTP/1.1 503 Service Unavailable', `${AGENT_DOWN_TEXT}\r\n${why.replace(/[\r\n]+/g, ' ')}\r\n`);
}

/** Has the client's request head arrived (blank line after the request line and headers)? */
export function requestHeadComplete(text: string): boolean {
  return text.includes('\r\n\r\n') || text.includes('\n\n');
}
