/** Spawns the real CLI (bin/switchyard.js) and reads what it says. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const BIN = path.resolve(__dirname, '../../bin/switchyard.js');

export interface Running {
  readonly child: ChildProcess;
  readonly proxyPort: number;
  readonly adminPort: number;
  readonly adminUrl: string;
  stderr(): string;
  /**
   * Sends a signal and resolves with the exit code once the process has exited and all it wrote
   * has been read (so `stderr()` then holds its last words).
   */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The line `serve` prints once it listens, whole (up to its newline). */
const SERVING = /proxy http:\/\/[^:]+:(\d+), admin API (http:\/\/[^:]+:(\d+)) .*\n/;

/** Starts `switchyard serve …` and waits for its "serving" line. */
export function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const child = spawn(process.execPath, [BIN, 'serve', '--proxy-port', '0', '--admin-port', '0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stdout!.resume();
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => (err += c));
  // 'close', not 'exit': 'exit' may come before the last of stderr has been read.
  const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start within 15 s:\n${err}`));
    }, 15_000);
    const onData = () => {
      const m = SERVING.exec(err);
      if (!m) return;
      clearTimeout(timer);
      child.stderr!.off('data', onData);
      resolve({
        child,
        proxyPort: Number(m[1]),
        adminPort: Number(m[3]),
        adminUrl: m[2]!,
        stderr: () => err,
        stop: async (signal = 'SIGTERM') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          // Bounded: a switchyard that does not exit fails the test with what it said, not a timeout.
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              child.kill('SIGKILL');
              reject(new Error(`serve did not exit within 15 s of ${signal}:\n${err}`));
            }, 15_000);
          });
          try {
            return await Promise.race([closed, late]);
          } finally {
            clearTimeout(timer);
          }
        },
      });
    };
    child.stderr!.on('data', onData);
    void closed.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${err}`));
    });
  });
}

/** Runs the CLI to completion; resolves once it has exited and all its output has been read. */
export function run(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    // Decoded as a stream: a character split across two reads is not garbled.
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timeoutMs = opts.timeoutMs ?? 15_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`switchyard ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    // 'close', not 'exit': 'exit' may come before the last of stdout and stderr has been read.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
