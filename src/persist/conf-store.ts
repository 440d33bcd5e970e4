/**
 * The state on disk, through `conf` (atomic writes: a crash mid-write leaves the old file whole).
 * A file that does not parse or does not validate stops startup with its path and the fix;
 * it is moved aside only when the user asks (`--reset-state`), never overwritten silently.
 */
import fs from 'node:fs';
import path from 'node:path';
import Conf from 'conf';
import envPaths from 'env-paths';
import { replaceState } from '../core/commands.js';
import { isSwitchyardError } from '../core/errors.js';
import { emptyState, type State } from '../core/model.js';

export const STATE_FORMAT = 1;

export class StateFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(
      `the state file ${file} is unreadable: ${reason}.\n` +
        `  Fix or remove it, or start with --reset-state to move it aside (to ${path.basename(file)}.corrupt-<time>) and begin empty.`,
    );
    this.name = 'StateFileError';
  }
}

interface StoredState {
  format: number;
  state: State;
}

export interface ConfStoreOptions {
  /** Directory of the state file. @default conf's per-user config directory for "switchyard" */
  readonly dir?: string;
  /** Move an unreadable state file aside and start empty. */
  readonly reset?: boolean;
}

/** Where the state lives when no directory is given: conf's own choice (the per-user config directory). */
export function defaultStateDir(): string {
  return envPaths('switchyard', { suffix: 'nodejs' }).config;
}

/** Lock files this process holds. */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class ConfStore {
  private readonly conf: Conf<StoredState>;
  /** Set when `reset` moved an unreadable file aside. */
  readonly movedAside: string | undefined;

  constructor(options: ConfStoreOptions = {}) {
    const dir = options.dir;
    // Not a state file's problem: --reset-state could not help, so do not suggest it.
    if (dir !== undefined && fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) {
      throw new Error(`--state-dir ${dir} is a file, not a directory: give a directory (it is made when missing)`);
    }
    const make = () =>
      new Conf<StoredState>({
        projectName: 'switchyard',
        configName: 'state',
        cwd: options.dir,
        clearInvalidConfig: false,
        accessPropertiesByDotNotation: false,
      });
    let conf: Conf<StoredState>;
    let moved: string | undefined;
    try {
      conf = make();
    } catch (e) {
      const file = options.dir ? path.join(options.dir, 'state.json') : 'state.json';
      if (!options.reset) throw new StateFileError(file, (e as Error).message);
      moved = moveAside(file);
      conf = make();
    }
    this.conf = conf;
    this.movedAside = moved;
  }

  get path(): string {
    return this.conf.path;
  }

  private get lockPath(): string {
    return path.join(path.dirname(this.conf.path), 'switchyard.lock');
  }

  /**
   * Claims the state directory for this process (`switchyard.lock`: pid and start time). A lock
   * whose process is gone (killed, crashed) is taken over; a live one is an error naming it.
   */
  lock(): void {
    const file = this.lockPath;
    const mine = `${process.pid} ${new Date().toISOString()}\n`;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, mine, { flag: 'wx' });
        held.add(file);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const [pidText, since] = fs.readFileSync(file, 'utf8').trim().split(' ');
      const pid = Number(pidText);
      if (Number.isInteger(pid) && pid > 0 && (pid === process.pid ? held.has(file) : alive(pid))) {
        throw new Error(`the state directory ${path.dirname(file)} is in use by another switchyard (pid ${pid}, since ${since ?? '?'}); stop it, or give this one its own --state-dir`);
      }
      fs.rmSync(file, { force: true }); // left by a process that is gone
    }
    throw new Error(`could not claim ${file}`);
  }

  unlock(): void {
    const file = this.lockPath;
    if (!held.delete(file)) return;
    try {
      if (Number(fs.readFileSync(file, 'utf8').split(' ')[0]) === process.pid) fs.rmSync(file, { force: true });
    } catch {
      // already gone
    }
  }

  /** The saved state, validated like any change; a fresh install gives the empty state. */
  load(reset = false): State {
    let raw: unknown;
    try {
      raw = fs.readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyState;
      throw new StateFileError(this.path, (e as Error).message);
    }
    try {
      const doc = JSON.parse(raw as string) as Partial<StoredState>;
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('expected a JSON object');
      if (Object.keys(doc).length === 0) return emptyState;
      if (doc.format === undefined) throw new Error(`no "format" field: not a switchyard state file (expected {"format": ${STATE_FORMAT}, "state": …})`);
      if (doc.format !== STATE_FORMAT) throw new Error(`unknown format ${JSON.stringify(doc.format)} (expected ${STATE_FORMAT})`);
      return replaceState(doc.state, { now: Math.floor(Date.now() / 1000), newId: () => crypto.randomUUID() });
    } catch (e) {
      const reason = isSwitchyardError(e) ? e.message : (e as Error).message;
      if (!reset) throw new StateFileError(this.path, reason);
      (this as { movedAside?: string }).movedAside = moveAside(this.path);
      return emptyState;
    }
  }

  save(state: State): void {
    this.conf.store = { format: STATE_FORMAT, state };
  }
}

function moveAside(file: string): string | undefined {
  if (!fs.existsSync(file)) return undefined;
  const to = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  fs.renameSync(file, to);
  return to;
}
