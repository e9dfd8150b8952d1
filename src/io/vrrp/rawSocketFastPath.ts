/**
 * The two things the VRRP socket needs from raw-socket that its API does not give, and the only
 * place that reaches into raw-socket's internals (as of raw-socket RAW_SOCKET_VERSION):
 *
 * - `send` writes now. raw-socket's send() queues every datagram until its poll reports the fd
 *   writable, a loop turn or more later, so a stopping daemon's priority-0 advert waited behind
 *   the rest of the stop and every advert's timing moved with the loop's load. keepalived calls
 *   sendto() when the timer fires; so does this, through the native binding's synchronous send.
 * - `onReadable` hears the poll report the fd readable before raw-socket's own listener reads
 *   the packet, so a timer counted from receipt does not lose the read, copy and emits.
 *
 * A raw-socket whose internals do not have the shape relied on is refused at open
 * (HALO_E_VRRP_SOCKET), not discovered as a silent misbehaviour; a unit test pins the version.
 */
import type raw from 'raw-socket';
import { HaloError } from '../../errors.js';

/** The raw-socket release whose internals this file was written against. */
export const RAW_SOCKET_VERSION = '1.8.1';

/**
 * strerror(EAGAIN): raw-socket's native send throws Error(strerror(errno)) and keeps no errno or
 * code, so the message is all there is to tell a full socket buffer from a real failure.
 */
const EAGAIN_TEXT = 'Resource temporarily unavailable';

/** raw-socket's internals (index.js and the native SocketWrap) that this file uses. */
interface RawSocketInternals {
  /** Sends waiting for the fd to poll writable, oldest first. */
  requests: unknown[];
  wrap: {
    /**
     * A synchronous sendto() on the non-blocking fd that calls back with the byte count before
     * returning, and throws Error(strerror(errno)) on failure.
     */
    send(buffer: Buffer, offset: number, length: number, address: string, callback: (bytes: number) => void): void;
    /** The wrap emits 'recvReady' when its poll reports the fd readable. */
    prependListener(event: 'recvReady', listener: () => void): void;
  };
}

export interface RawSocketFastPath {
  /**
   * sendto() now, if raw-socket has nothing queued (order is kept). Returns false when the
   * datagram must go through raw-socket's queue: something is queued, or the socket buffer is
   * full (EAGAIN). Any other failure throws.
   */
  send(packet: Buffer, dst: string): boolean;
  onReadable(listener: () => void): void;
}

export function rawSocketFastPath(socket: raw.Socket, dev: string): RawSocketFastPath {
  const internals = socket as unknown as Partial<RawSocketInternals>;
  const { wrap, requests } = internals;
  if (!Array.isArray(requests) || typeof wrap?.send !== 'function' || typeof wrap.prependListener !== 'function') {
    throw new HaloError(
      'HALO_E_VRRP_SOCKET',
      `${dev}: raw-socket's internals are not those of raw-socket ${RAW_SOCKET_VERSION} (wrap.send, ` +
        `wrap.prependListener, requests)`,
      { dev, rawSocket: RAW_SOCKET_VERSION },
    );
  }
  return {
    send(packet, dst) {
      if (requests.length > 0) return false;
      try {
        wrap.send(packet, 0, packet.length, dst, () => undefined);
        return true;
      } catch (err) {
        if (err instanceof Error && err.message === EAGAIN_TEXT) return false;
        throw err;
      }
    },
    onReadable(listener) {
      wrap.prependListener('recvReady', listener);
    },
  };
}
