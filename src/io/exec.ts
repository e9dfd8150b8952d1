/**
 * Run a script (vrrp_script check, notify script) with a deadline. The script runs in its own
 * process group (detached) so a timeout or abort can signal everything it started, as keepalived
 * does for scripts that overrun (keepalived.conf(5): SIGTERM, then SIGKILL). A failing script is
 * a result, not an exception: runCommand never rejects.
 *
 * A check script dies with the daemon (childLifetime.ts), even on kill -9. A notify script
 * (`outlivesDaemon`) may finish, as keepalived's do: it is not tied to the daemon's life nor
 * tagged as its helper, so neither the kernel nor the next start ends it. None starts after the
 * daemon is gone, since only the daemon starts them.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { type Command, diesWithDaemon, findExecutable, OWNER_VAR } from './childLifetime.js';

export interface ExecResult {
  /** null when the script never ran (spawn error) or was ended by a signal. */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** The script was still running at timeoutMs and was killed. */
  timedOut: boolean;
  /** The caller's AbortSignal fired before the script finished (or before it started). */
  aborted: boolean;
  durationMs: number;
}

export interface RunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Added to (and overriding) the daemon's environment. */
  env?: Record<string, string>;
  /** `env` is the whole environment: none of the daemon's variables (its secrets) reach the command. */
  cleanEnv?: boolean;
  /** Cap per stream; the rest is read and dropped. Default 64 KiB. */
  maxOutputBytes?: number;
  /** Between SIGTERM and SIGKILL to the process group. Default 500 ms. */
  killGraceMs?: number;
  /** Written to the command's stdin, then closed (alert scripts read the event there). */
  stdin?: string;
  /** A notify script: it may finish after the daemon is gone (see the head of this file). */
  outlivesDaemon?: boolean;
}

const DEFAULT_MAX_OUTPUT = 64 * 1024;
const DEFAULT_KILL_GRACE_MS = 500;

export function runCommand(argv: string[], opts: RunOptions): Promise<ExecResult> {
  const started = performance.now();
  const finish = (fields: Partial<ExecResult>): ExecResult => ({
    exitCode: null,
    signal: null,
    stdout: '',
    stderr: '',
    timedOut: false,
    aborted: false,
    ...fields,
    durationMs: performance.now() - started,
  });
  const file = argv[0];
  if (file === undefined) return Promise.resolve(finish({ stderr: 'empty command' }));
  if (opts.signal?.aborted) return Promise.resolve(finish({ stderr: 'aborted before start', aborted: true }));

  return new Promise((resolve) => {
    const cap = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const stdout = new CappedText(cap);
    const stderr = new CappedText(cap);
    let exited = false;
    let timedOut = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const env = childEnv(opts);
    const [command, ...commandArgs] = tiedToDaemon([file, ...argv.slice(1)], env, opts.outlivesDaemon === true);
    const child = spawn(command, commandArgs, {
      detached: true,
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env,
    });
    if (child.stdin) {
      // A script that exits without reading its input must not turn into an EPIPE crash.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.stdin);
    }
    child.stdout!.on('data', (d: Buffer) => stdout.add(d));
    child.stderr!.on('data', (d: Buffer) => stderr.add(d));

    const signalGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // ESRCH: the whole group is already gone.
      }
    };
    // Also ends a group whose leader has exited but whose children still hold the pipes open.
    const endGroup = (): void => {
      signalGroup('SIGTERM');
      killTimer ??= setTimeout(() => signalGroup('SIGKILL'), opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
    };
    const onAbort = (): void => {
      if (!exited) aborted = true;
      endGroup();
    };
    const deadline = setTimeout(() => {
      if (!exited) timedOut = true;
      endGroup();
    }, opts.timeoutMs);
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const settle = (fields: Partial<ExecResult>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(finish({ stdout: stdout.text(), stderr: stderr.text(), timedOut, aborted, ...fields }));
    };

    child.on('exit', () => {
      exited = true;
    });
    child.on('close', (code, signal) => settle({ exitCode: code, signal }));
    child.on('error', (err) => {
      // Only a spawn failure (ENOENT, EACCES) leaves no pid; kill() errors are handled above.
      if (child.pid === undefined) settle({ stderr: `${stderr.text()}${err.message}` });
    });
  });
}

/** The daemon's helper tag goes to every script but a notify script, even into a clean environment. */
function childEnv(opts: RunOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = opts.cleanEnv ? { ...opts.env } : { ...process.env, ...opts.env };
  const tag = process.env[OWNER_VAR];
  if (opts.outlivesDaemon) delete env[OWNER_VAR];
  else if (tag !== undefined) env[OWNER_VAR] = tag;
  return env;
}

/**
 * The argv to spawn. A program that cannot be found or run is spawned as it is, so the spawn
 * fails with Node's own error (ENOENT, EACCES) and nothing is left to outlive the daemon.
 */
function tiedToDaemon(argv: Command, env: NodeJS.ProcessEnv, outlives: boolean): Command {
  if (outlives || findExecutable(argv[0], env.PATH ?? '') === null) return argv;
  return diesWithDaemon(argv);
}

/** Keeps the first `cap` bytes of a stream. */
class CappedText {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly cap: number) {}

  add(chunk: Buffer): void {
    const room = this.cap - this.size;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(kept);
    this.size += kept.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
