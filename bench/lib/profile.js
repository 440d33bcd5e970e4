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

export function summarize(file, top = 25) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const total = prof.endTime - prof.startTime;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  // Self time per node from the sample stream (timeDeltas[i] is the gap before sample i).
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i + 1] ?? 0));
  }
  const fns = new Map();
  const pkgs = new Map();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    const cf = n.callFrame;
    const file = cf.url ? path.basename(cf.url.replace(/^file:\/\//, '')) : '';
    const key = `${cf.functionName || '(anonymous)'} ${file}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
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
