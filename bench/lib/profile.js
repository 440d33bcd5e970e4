/**
 * Reads a V8 .cpuprofile (from `node --cpu-prof`) and sums self time per function and per
 * package, so a missed target comes with where the time went.
 */
import fs from 'node:fs';
import path from 'node:path';

function where(url) {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return 'node core';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1)
    return url
      .slice(nm + 14)
      .split('/')
      .slice(0, url.slice(nm + 14).startsWith('@') ? 2 : 1)
      .join('/');
  if (url.includes('/dist/')) return 'switchyard';
  return url;
}

/** Self time (µs) per profile node, from the sample stream (timeDeltas[i] is the gap before sample i). */
function nodeSelfTimes(prof) {
  const selfUs = new Map();
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i + 1] ?? 0));
  }
  return selfUs;
}

function fnKey(cf) {
  const file = cf.url ? path.basename(cf.url.replace(/^file:\/\//, '')) : '';
  return `${cf.functionName || '(anonymous)'} ${file}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
}

/** Self time (µs) per function of a .cpuprofile, idle left out: what bench/compare-profiles.js sets side by side. */
export function selfTimes(file) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const fns = new Map();
  for (const [id, us] of nodeSelfTimes(prof)) {
    const cf = byId.get(id).callFrame;
    if (cf.functionName === '(idle)') continue;
    const key = fnKey(cf);
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  return fns;
}

export function summarize(file, top = 25) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const total = prof.endTime - prof.startTime;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const selfUs = nodeSelfTimes(prof);
  const fns = new Map();
  const pkgs = new Map();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    const cf = n.callFrame;
    const key = fnKey(cf);
    fns.set(key, (fns.get(key) ?? 0) + us);
    const pkg =
      cf.functionName === '(idle)'
        ? '(idle)'
        : cf.functionName === '(garbage collector)'
          ? '(garbage collector)'
          : cf.functionName === '(program)'
            ? '(program)'
            : where(cf.url);
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us);
  }
  const busy = total - (pkgs.get('(idle)') ?? 0);
  const rows = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({
        name,
        ms: Math.round(us / 1000),
        pctOfBusy: busy > 0 ? Math.round((us / busy) * 1000) / 10 : 0,
      }));
  return {
    file,
    totalMs: Math.round(total / 1000),
    busyMs: Math.round(busy / 1000),
    byPackage: rows(pkgs).filter((r) => r.name !== '(idle)'),
    topFunctions: rows(fns)
      .filter((r) => !r.name.startsWith('(idle)'))
      .slice(0, top),
  };
}
