/**
 * The process side of an app instance: a free port, the command spawned in its own process group
 * with its output kept (the last lines in memory, all of it in the app's log file), its exit
 * reported, and a stop that reaches the whole group (SIGTERM, then SIGKILL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

export const HOST = '127.0.0.1';
const LOG_LINES = 200;
/** How long a process group may take to exit on SIGTERM before it gets SIGKILL. */
const KILL_AFTER_MS = 3000;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** An app's log: the last lines for the UI and the API, every line (timestamped) in its file. */
export class AppLog {
  readonly lines: string[] = [];
  private readonly stream: fs.WriteStream;

  constructor(readonly file: string) {
    this.stream = fs.createWriteStream(file, { flags: 'a' });
  }

  write(prefix: string, chunk: string): void {
    const parts = chunk.split('\n');
    if (parts[parts.length - 1] === '') parts.pop();
    for (const line of parts) {
      const l = `${prefix} ${line}`;
      this.lines.push(l);
      this.stream.write(`${new Date().toISOString()} ${l}\n`);
    }
    if (this.lines.length > LOG_LINES) this.lines.splice(0, this.lines.length - LOG_LINES);
  }

  end(): void {
    this.stream.end();
  }
}

export interface RunSpec {
  readonly command: string;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Every chunk of its stdout and stderr, and a line when it exits or fails. */
  readonly output: (chunk: string) => void;
  /** Once, when it exits (after its exit line was written). */
  readonly onExit: (reason: string) => void;
}

export interface Running {
  readonly child: ChildProcess;
  /** Resolves once the process has exited and `onExit` ran. */
  readonly exited: Promise<void>;
}

/** Spawns `sh -c command` as the leader of a new process group. Throws when it cannot be spawned. */
export function run(spec: RunSpec): Running {
  const child = spawn('sh', ['-c', spec.command], {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout?.setEncoding('utf8').on('data', (c: string) => spec.output(c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => spec.output(c));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      spec.output(`exited ${signal ? `on ${signal}` : `with code ${code}`}`);
      spec.onExit(signal ? `killed by ${signal}` : `exited with code ${code}`);
      resolve();
    });
    child.once('error', (e) => {
      spec.output(`error: ${e.message}`);
    });
  });
  return { child, exited };
}

/** Whether `child` may still be running (and so needs a signal to stop). */
export function alive(child: ChildProcess | null): child is ChildProcess {
  return child !== null && child.exitCode === null && child.pid !== undefined;
}

/** Stops the process group led by `child` (SIGTERM, SIGKILL if it lingers) and waits for `exited`. */
export async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), sig);
    } catch {
      try {
        child.kill(sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal('SIGTERM');
  const forced = setTimeout(() => signal('SIGKILL'), KILL_AFTER_MS);
  await exited;
  clearTimeout(forced);
}
