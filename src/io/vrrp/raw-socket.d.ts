/**
 * Types for the untyped `raw-socket` 1.8.1 package (CommonJS; `module.exports` is the object
 * below, so ESM code imports it as a default import). Only its public API is declared; the
 * internals halo relies on are typed and checked in rawSocketFastPath.ts alone.
 */
declare module 'raw-socket' {
  import type { EventEmitter } from 'node:events';

  namespace raw {
    interface SocketOptions {
      /** AddressFamily.IPv4 (default) or AddressFamily.IPv6. */
      addressFamily?: number;
      /** The IP protocol number the kernel filters on and (without IP_HDRINCL) writes. */
      protocol?: number;
      /** Size of the one receive buffer the socket reuses for every recvfrom(); default 4096. */
      bufferSize?: number;
    }

    type SendCallback = (error: Error | null, bytes: number) => void;

    interface Socket extends EventEmitter {
      readonly recvPaused: boolean;
      readonly sendPaused: boolean;
      /**
       * The buffer is a view of the socket's receive buffer, overwritten by the next recv:
       * copy it if it outlives the listener call.
       */
      on(event: 'message', listener: (buffer: Buffer, source: string) => void): this;
      /** Send, receive and poll errors; a poll error also closes the socket. */
      on(event: 'error', listener: (error: Error) => void): this;
      on(event: 'close', listener: () => void): this;
      close(): this;
      /** Queues the datagram; it is written when the fd polls writable. Errors reach the callback. */
      send(buffer: Buffer, offset: number, length: number, address: string, afterCallback: SendCallback): this;
      send(
        buffer: Buffer,
        offset: number,
        length: number,
        address: string,
        beforeCallback: () => void,
        afterCallback: SendCallback,
      ): this;
      /** setsockopt() with a 32-bit unsigned value; throws on failure. */
      setOption(level: number, option: number, value: number): void;
      /** setsockopt() with `length` bytes of `buffer`; throws on failure. */
      setOption(level: number, option: number, buffer: Buffer, length: number): void;
      /** getsockopt() into `buffer`; returns the number of bytes written. */
      getOption(level: number, option: number, buffer: Buffer, length: number): number;
      pauseRecv(): this;
      resumeRecv(): this;
      pauseSend(): this;
      resumeSend(): this;
    }

    interface ChecksumRange {
      buffer: Buffer;
      offset: number;
      length: number;
    }

    const AddressFamily: { readonly IPv4: number; readonly IPv6: number };
    const Protocol: {
      readonly None: number;
      readonly ICMP: number;
      readonly TCP: number;
      readonly UDP: number;
      readonly ICMPv6: number;
    };
    const SocketLevel: { readonly SOL_SOCKET: number; readonly IPPROTO_IP: number; readonly IPPROTO_IPV6: number };
    /** SO_BINDTODEVICE exists on Linux only; IPV6_HDRINCL on Windows only. */
    const SocketOption: {
      readonly SO_BROADCAST: number;
      readonly SO_RCVBUF: number;
      readonly SO_RCVTIMEO: number;
      readonly SO_SNDBUF: number;
      readonly SO_SNDTIMEO: number;
      readonly SO_BINDTODEVICE?: number;
      readonly IP_HDRINCL: number;
      readonly IP_OPTIONS: number;
      readonly IP_TOS: number;
      readonly IP_TTL: number;
      readonly IPV6_HDRINCL?: number;
      readonly IPV6_TTL: number;
      readonly IPV6_UNICAST_HOPS: number;
      readonly IPV6_V6ONLY: number;
    };

    /** Throws if socket() fails (EPERM without CAP_NET_RAW). */
    function createSocket(options?: SocketOptions): Socket;
    function createChecksum(...data: Array<Buffer | ChecksumRange>): number;
    function writeChecksum(buffer: Buffer, offset: number, checksum: number): Buffer;
    function htonl(value: number): number;
    function htons(value: number): number;
    function ntohl(value: number): number;
    function ntohs(value: number): number;
  }

  export = raw;
}
