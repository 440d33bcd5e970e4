/**
 * Every process the bench starts is registered here, so that all of them are ended at the end,
 * on an error, on Ctrl-C and on `process.exit` alike.
 */
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { alive, tree } from './proc.js';

const children = new Set();
const tmuxSockets = new Set();
const tempDirs = new Set();
const pids = new Set();

export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function trackTmux(socket) {
  tmuxSockets.add(socket);
}

/** A process that is not our child (the UI, started by tmux). */
export function trackPid(pid) {
  pids.add(pid);
}

export function untrackPid(pid) {
  pids.delete(pid);
}

export function trackDir(dir) {
  tempDirs.add(dir);
  return dir;
}

function killTmux(socket) {
  try {
    execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore', timeout: 5000 });
  } catch {
    // Already gone.
  }
}

/** SIGTERM, then SIGKILL (to the whole tree) after `graceMs`. */
export async function stopChild(child, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const all = tree(child.pid);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  let timer;
  const late = new Promise((r) => (timer = setTimeout(r, graceMs, 'timeout')));
  const first = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (first === 'timeout') {
    for (const p of all) if (alive(p)) process.kill(p, 'SIGKILL');
    await exited;
  }
}

export async function stopTmux(socket) {
  killTmux(socket);
  tmuxSockets.delete(socket);
}

export async function stopAll() {
  await Promise.all([...children].map((c) => stopChild(c).catch(() => {})));
  for (const p of pids) if (alive(p)) process.kill(p, 'SIGKILL');
  pids.clear();
  for (const s of tmuxSockets) killTmux(s);
  tmuxSockets.clear();
  removeDirs();
}

function removeDirs() {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

/** Last resort, synchronous: whatever is still running is killed outright. */
process.on('exit', () => {
  for (const c of children) {
    for (const p of tree(c.pid)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // Gone.
      }
    }
  }
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // Gone.
    }
  }
  for (const s of tmuxSockets) killTmux(s);
  removeDirs();
});
