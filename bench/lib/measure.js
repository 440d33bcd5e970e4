/**
 * One measured load run on a subject, as every experiment takes it: warm-up, then the run, with
 * the CPU of the process under test, of the backends, of the load generator (and of what steers
 * the subject, when something does), and its memory. `ctx` is the orchestrator's context
 * (load generator, backends, common parameters).
 */
import os from 'node:os';
import { cpuMeter, cpuSecondsFine, memory } from './proc.js';
import { HOST } from './subjects.js';

export async function measure(
  ctx,
  { pid, url, host = HOST, durationS = ctx.P.durationS, warmupS = ctx.P.warmupS, controlPid, rate, fine = false },
) {
  const { lg, P, backends } = ctx;
  const load = {
    url,
    headers: { host },
    connections: P.connections,
    pipelining: 1,
    ...(rate ? { rate } : {}),
  };
  if (warmupS > 0) await lg.run({ ...load, duration: warmupS });
  // `fine`: the subject's CPU to the nanosecond (schedstat), for runs too short for 10 ms ticks.
  const meter = cpuMeter(pid, fine ? cpuSecondsFine : undefined);
  const backendMeter = cpuMeter(backends.pid);
  const controlMeter = controlPid ? cpuMeter(controlPid) : null;
  const run = lg.start({ ...load, duration: durationS });
  const lgMeter = cpuMeter(lg.pid());
  const r = await run.done;
  const cpu = meter.stop();
  const backendCpuPct = backendMeter.stop().pct;
  const controlCpuPct = controlMeter?.stop().pct;
  // wrk has exited by now and reports its own CPU; autocannon keeps running and is read from /proc.
  const loadgenCpuPct =
    r.loadgenCpuSeconds !== undefined ? (r.loadgenCpuSeconds / r.seconds) * 100 : lgMeter.stop().pct;
  const mem = memory(pid);
  // CPU per request is steadier than req/s on a shared machine: it does not care who else runs.
  const cpuUsPerRequest = r.requests > 0 ? (cpu.seconds / r.requests) * 1e6 : null;
  return {
    ...r,
    cpuPct: cpu.pct,
    cpuUsPerRequest,
    backendCpuPct,
    loadgenCpuPct,
    rssMiB: mem.rssMiB,
    peakRssMiB: mem.peakRssMiB,
    ...(controlMeter ? { controlCpuPct, controlPeakRssMiB: memory(controlPid).peakRssMiB } : {}),
  };
}

/** The machine the run is on, for the report's first line. */
export function machine(lg) {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cores: cpus.length,
    cpuModel: (cpus[0]?.model ?? 'unknown').trim(),
    node: process.versions.node,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadgen: lg.version,
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
