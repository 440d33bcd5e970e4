/**
 * What a process costs, read straight from /proc (Linux): CPU ticks and resident memory of a
 * process and its children (nginx runs a master and workers), no dependency.
 */
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // 100 on every Linux this runs on.
}

export const hasProc = fs.existsSync('/proc/self/stat');

/** Fields of /proc/PID/stat after the command name (which may contain spaces). */
function statFields(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The process and all its descendants. */
export function tree(pid) {
  if (!hasProc || !pid) return pid ? [pid] : [];
  const children = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(name);
    if (!f) continue;
    const ppid = Number(f[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(name));
  }
  const out = [];
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop();
    out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

/** CPU seconds (user + system) used so far by a process tree. */
export function cpuSeconds(pid) {
  let ticks = 0;
  for (const p of tree(pid)) {
    const f = statFields(p);
    // utime and stime are fields 14 and 15 of stat; f starts at field 3.
    if (f) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / clkTck;
}

/** CPU seconds of this process's children that have exited and been reaped (cutime + cstime). */
export function childrenCpuSeconds() {
  const f = statFields('self');
  return f ? (Number(f[13]) + Number(f[14])) / clkTck : 0;
}

function statusKb(pid, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Resident memory now (VmRSS) and at its peak (VmHWM), in MiB, summed over the tree. */
export function memory(pid) {
  let rss = 0;
  let hwm = 0;
  for (const p of tree(pid)) {
    rss += statusKb(p, 'VmRSS');
    hwm += statusKb(p, 'VmHWM');
  }
  return { rssMiB: rss / 1024, peakRssMiB: hwm / 1024 };
}

const hasSchedstat = fs.existsSync('/proc/thread-self/schedstat');

/**
 * CPU seconds used so far by a process tree, to the nanosecond: the time each thread has spent
 * on a CPU (the first field of /proc/PID/task/TID/schedstat); where the kernel keeps none, the
 * 10 ms ticks of `cpuSeconds`. Threads that ended are not counted: for processes whose threads
 * live as long as they do (Node's), measured over windows too short for ticks.
 */
export function cpuSecondsFine(pid) {
  if (!hasSchedstat) return cpuSeconds(pid);
  let ns = 0;
  for (const p of tree(pid)) {
    let tasks = [];
    try {
      tasks = fs.readdirSync(`/proc/${p}/task`);
    } catch {
      // Gone.
    }
    for (const t of tasks) {
      try {
        ns += Number(fs.readFileSync(`/proc/${p}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  }
  return ns / 1e9;
}

/** Starts a CPU meter; `stop()` gives the share of one core used since (percent) and the CPU seconds. */
export function cpuMeter(pid, read = cpuSeconds) {
  const cpu0 = read(pid);
  const t0 = performance.now();
  return {
    stop() {
      const secs = (performance.now() - t0) / 1000;
      const used = read(pid) - cpu0;
      return { pct: secs > 0 ? (used / secs) * 100 : 0, seconds: used };
    },
  };
}

export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
