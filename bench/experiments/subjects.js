/**
 * The subjects under the same load: direct to a backend (the ceiling), bare http-proxy, `switchyard
 * serve`, switchyard with its UI (tmux), nginx and HAProxy steered by switchyard (when installed).
 * Each alone in its own process, one after the other; with --rounds N the whole sequence repeats
 * (interleaved, so a noisy moment hits every subject alike) and the run with the median req/s
 * stands for the subject. While the UI runs: key press → first request routed by the new weights
 * (probed from here); while the HAProxy fleet runs: switching on the fleet.
 */
import { performance } from 'node:perf_hooks';
import { keepAliveAgent, percentiles, probe, sleep } from '../lib/http.js';
import { measure } from '../lib/measure.js';
import {
  benchConfig,
  HOST,
  patchService,
  startBareProxy,
  startNginx,
  startServe,
  startUi,
} from '../lib/subjects.js';
import { fleetAdminSwitch, fleetKeyPress, startHaproxyFleet, waitInSync } from '../lib/haproxy.js';

export const KEYS = ['direct', 'bare', 'serve', 'ui', 'nginx', 'haproxy'];

/** The time from a key press in the UI (via tmux) to the first request routed by the new weights. */
async function keyPress(ui, presses) {
  const admin = keepAliveAgent(1);
  const agent = keepAliveAgent(1);
  await patchService(ui.adminUrl, { host: 'blue' }, admin);
  let side = 'blue';
  const ms = [];
  const sendKeyMs = [];
  try {
    for (let i = 0; i < presses; i++) {
      const next = side === 'blue' ? 'green' : 'blue';
      const key = next === 'green' ? 'G' : 'B';
      await sleep(300);
      const t0 = performance.now();
      const sent = ui.pressKey(key);
      let seen = null;
      while (performance.now() - t0 < 5000) {
        const r = await probe(ui.proxyUrl, HOST, agent);
        if (r.backend === next) {
          seen = r.at - t0;
          break;
        }
      }
      sendKeyMs.push(await sent);
      if (seen === null) {
        throw new Error(
          `no request went to ${next} within 5 s of pressing ${key} (screen: ${ui.screenLine()})`,
        );
      }
      ms.push(seen);
      side = next;
    }
  } finally {
    agent.destroy();
    admin.destroy();
  }
  return {
    presses,
    keys: 'G (100% green) / B (100% blue)',
    ms: percentiles(ms),
    tmuxSendKeysMs: percentiles(sendKeyMs),
    all: ms,
  };
}

/** The subjects, each with how to start it and what to measure once while it runs. */
function subjects(ctx, out) {
  const { P, backends, log } = ctx;
  const { ports } = backends;
  return [
    {
      key: 'direct',
      label: 'direct to one backend',
      start: async () => ({ pid: backends.pid, url: `http://127.0.0.1:${ports.blue}`, stop: async () => {} }),
    },
    {
      key: 'bare',
      label: 'bare http-proxy (keep-alive agent)',
      start: () => startBareProxy(ports.blue),
    },
    {
      key: 'serve',
      label: 'switchyard serve (80/20)',
      start: async () => {
        const sy = await startServe(benchConfig(ports));
        return { ...sy, url: sy.proxyUrl };
      },
    },
    {
      key: 'ui',
      label: 'switchyard with the UI (80/20)',
      start: async () => {
        const ui = await startUi(benchConfig(ports));
        return ui.skipped ? ui : { ...ui, url: ui.proxyUrl };
      },
      // Once, after the first measured run: the key press test needs the UI.
      after: async (ui, round) => {
        if (round > 0) return;
        try {
          out.keyPress = await keyPress(ui, P.keyPresses);
          log(`key press → routed: p50 ${out.keyPress.ms.p50?.toFixed(1)} ms`);
        } catch (e) {
          out.keyPress = { error: e.message };
          log(`key press: ${e.message}`);
        }
      },
      onSkip: (reason) => (out.keyPress = { skipped: reason }),
    },
    {
      key: 'nginx',
      label: 'nginx (80/20, keep-alive, 1 worker)',
      start: async () => {
        const ng = await startNginx(ports);
        return ng.skipped ? ng : { ...ng, label: `nginx ${ng.version} (80/20, keep-alive, 1 worker)` };
      },
    },
    {
      key: 'haproxy',
      label: 'HAProxy steered by switchyard (80/20)',
      // The same route exported as HAProxy config, N instances started from it, `switchyard
      // serve --data-plane haproxy` steering them all; the load goes through the first one.
      start: async () => {
        const fleet = await startHaproxyFleet(benchConfig(ports), { count: P.haproxyInstances, host: HOST });
        if (fleet.skipped) return fleet;
        let sy;
        try {
          sy = await startServe(null, {
            label: 'haproxy-serve',
            stateDir: fleet.stateDir,
            args: fleet.serveArgs,
          });
          await waitInSync(sy.adminUrl);
        } catch (e) {
          await sy?.stop();
          await fleet.stop();
          return { skipped: `switchyard could not steer HAProxy: ${e.message.slice(0, 400)}` };
        }
        const first = fleet.instances[0];
        return {
          pid: first.pid,
          url: first.url,
          controlPid: sy.pid,
          label: `HAProxy ${fleet.version} (80/20, ${fleet.threads ?? '?'} threads; instance 1 of ${fleet.instances.length}, steered by switchyard)`,
          fleet,
          sy,
          stop: async () => {
            await sy.stop();
            await fleet.stop();
          },
        };
      },
      // Once, after the first measured run: switching on the fleet, through the admin API of
      // the steering `serve`, then (that one stopped) with the UI steering the same instances.
      after: async (it, round) => {
        if (round > 0) return;
        try {
          out.fleetAdminSwitch = await fleetAdminSwitch(
            it.sy.adminUrl,
            it.fleet.instances,
            HOST,
            P.fleetSwitches,
          );
          log(
            `HAProxy fleet, PATCH returned → all instances switched: p50 ${out.fleetAdminSwitch.allSwitchedMs.p50?.toFixed(1)} ms, old-side requests ${out.fleetAdminSwitch.oldRouted.join(' / ')}`,
          );
        } catch (e) {
          out.fleetAdminSwitch = { error: e.message };
          log(`HAProxy fleet admin switch: ${e.message}`);
        }
        await it.sy.stop();
        const ui = await startUi(benchConfig(ports), { args: it.fleet.serveArgs });
        if (ui.skipped) {
          out.fleetKeyPress = { skipped: ui.skipped };
          return;
        }
        try {
          out.fleetKeyPress = await fleetKeyPress(ui, it.fleet.instances, HOST, P.fleetKeyPresses);
          log(
            `HAProxy fleet, key press → all instances switched: p50 ${out.fleetKeyPress.ms.p50?.toFixed(1)} ms`,
          );
        } catch (e) {
          out.fleetKeyPress = { error: e.message };
          log(`HAProxy fleet key press: ${e.message}`);
        } finally {
          await ui.stop();
        }
      },
      onSkip: (reason) => (out.fleetKeyPress = out.fleetAdminSwitch = { skipped: reason }),
    },
  ];
}

export default {
  name: 'subjects',
  // The HAProxy subject is compared with `switchyard serve`: it brings serve along.
  selects: KEYS,
  params: (quick) => ({
    keyPresses: quick ? 3 : 10,
    haproxyInstances: 2,
    fleetKeyPresses: quick ? 4 : 10,
    fleetSwitches: quick ? 10 : 40,
  }),
  async run(ctx) {
    const { P, lg, backends, log, want } = ctx;
    const out = { subjects: [] };
    const list = subjects(ctx, out).filter((x) => want(x.key) || (x.key === 'serve' && want('haproxy')));
    // The first subject measured would otherwise also pay for a cold load generator (and cold
    // backends): *direct* does that when it runs; without it (e.g. --only haproxy), a warm-up of its own.
    if (list.length && list[0].key !== 'direct')
      await lg.run({
        url: `http://127.0.0.1:${backends.ports.blue}`,
        headers: { host: HOST },
        connections: P.connections,
        duration: P.warmupS + 1,
      });
    const runs = new Map(list.map((x) => [x.key, []]));
    const skips = new Map();
    for (let round = 0; round < P.rounds; round++) {
      for (const x of list) {
        if (skips.has(x.key)) continue;
        log(`${x.label}${P.rounds > 1 ? ` (round ${round + 1}/${P.rounds})` : ''}…`);
        const it = await x.start();
        if (it.skipped) {
          skips.set(x.key, it.skipped);
          x.onSkip?.(it.skipped);
          continue;
        }
        try {
          const r = await measure(ctx, { pid: it.pid, url: it.url, controlPid: it.controlPid });
          if (it.label) x.label = it.label;
          if (x.key === 'ui') r.screen = it.screen();
          runs.get(x.key).push(r);
          await x.after?.(it, round);
        } finally {
          await it.stop();
        }
      }
    }
    for (const x of list) {
      if (skips.has(x.key)) {
        log(`${x.label}: skipped (${skips.get(x.key)})`);
        out.subjects.push({ key: x.key, label: x.label, skipped: skips.get(x.key) });
        continue;
      }
      const all = runs.get(x.key);
      const sorted = [...all].sort((m, n) => m.rps - n.rps);
      const median = sorted[Math.floor((sorted.length - 1) / 2)];
      out.subjects.push({
        key: x.key,
        label: x.label,
        ...median,
        peakRssMiB: Math.max(...all.map((r) => r.peakRssMiB)),
        ...(all.length > 1
          ? { rounds: all.map((r) => ({ rps: r.rps, p99: r.p99, cpuUsPerRequest: r.cpuUsPerRequest })) }
          : {}),
      });
    }
    for (const s of out.subjects)
      if (!s.skipped)
        log(
          `${s.label}: ${Math.round(s.rps)} req/s, p99 ${s.p99?.toFixed(2)} ms, ${s.errors} errors, CPU ${Math.round(s.cpuPct)}%`,
        );
    return out;
  },
};
