/**
 * Gives the processes under test a core of their own for the A/B: the subjects (bare http-proxy
 * and switchyard, never both at once under load) on the last CPU, the load generator, the
 * backends and the harness on the others, every thread of each (Linux `taskset -a`). Sharing
 * cores with its load generator at saturation, a proxy is preempted mid-request and comes back to
 * cold caches, more so the larger process, so the ratio measured the scheduler as much as the
 * proxies. With a core to itself, CPU per request is the proxy's own work. `pinning()` says
 * whether it can be done here; `unpinAll()` gives every pinned process all CPUs back.
 */
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { tree } from './proc.js';

const pinned = new Set();

function hasTaskset() {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `{ subjects: '1', rest: '0' }` when the machine has ≥ 2 CPUs and taskset, else null. */
export function pinning() {
  const n = os.cpus().length;
  if (process.platform !== 'linux' || n < 2 || !hasTaskset()) return null;
  return { subjects: String(n - 1), rest: n === 2 ? '0' : `0-${n - 2}`, all: `0-${n - 1}` };
}

/** Pins a process and its descendants, every thread, to `cpus` (a taskset list). */
export function pin(pid, cpus) {
  for (const p of tree(pid)) {
    try {
      execFileSync('taskset', ['-a', '-cp', cpus, String(p)], { stdio: 'ignore' });
      pinned.add(p);
    } catch {
      // Gone already: nothing to pin.
    }
  }
}

/** Every pinned process back on all CPUs. */
export function unpinAll() {
  const plan = pinning();
  if (!plan) return;
  for (const p of pinned) {
    try {
      execFileSync('taskset', ['-a', '-cp', plan.all, String(p)], { stdio: 'ignore' });
    } catch {
      // Exited.
    }
  }
  pinned.clear();
}
