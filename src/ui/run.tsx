/**
 * Opens the terminal UI on a running engine and resolves when the user quits (`q`, ctrl-c).
 * Stopping the engine and the demo is the caller's job, so that in-flight requests finish and
 * the state is saved whatever way the UI ended.
 */
import { render } from 'ink';
import { App, type UiEngine } from './App.js';
import { shareInkCaches } from './ink-caches.js';
import type { TrafficControl } from './ports.js';

export const NO_TTY_MESSAGE =
  'switchyard needs an interactive terminal for its UI; run "switchyard serve" for the headless engine';

export interface RunOptions {
  /** The demo's traffic generator (the composition root passes the demo). */
  readonly demo?: TrafficControl;
  readonly title?: string;
}

/** The alternate screen, as full-screen terminal programs use: the shell's screen comes back intact on exit. */
const ENTER_ALT = '\u001b[?1049h\u001b[H';
const LEAVE_ALT = '\u001b[?1049l';

export async function runTui(engine: UiEngine, opts: RunOptions = {}): Promise<void> {
  const stdin = process.stdin;
  const stdout = process.stdout;
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function' || !stdout.isTTY)
    throw new Error(NO_TTY_MESSAGE);
  try {
    stdin.setRawMode(true);
    stdin.setRawMode(false);
  } catch {
    throw new Error(NO_TTY_MESSAGE);
  }
  const noDeprecation = process.noDeprecation;
  // Warnings printed while Ink draws would tear the frame.
  process.noDeprecation = true;
  let left = false;
  const leave = () => {
    if (left) return;
    left = true;
    stdout.write(LEAVE_ALT);
  };
  // A signal handler elsewhere may end the process while the UI is up: give the screen back.
  process.once('exit', leave);
  await shareInkCaches();
  stdout.write(ENTER_ALT);
  try {
    const instance = render(<App engine={engine} demo={opts.demo} title={opts.title} />, {
      exitOnCtrlC: false,
      stdout,
      stdin,
    });
    await instance.waitUntilExit();
  } finally {
    leave();
    process.off('exit', leave);
    process.noDeprecation = noDeprecation;
  }
}
