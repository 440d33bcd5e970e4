/**
 * With --profile: the same load on `switchyard serve` and on the UI run under `node --cpu-prof`,
 * summarised per package and function; the profiles are kept beside the results.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sleep } from '../lib/http.js';
import { measure } from '../lib/measure.js';
import { summarize } from '../lib/profile.js';
import { benchConfig, ROOT, startServe, startUi, tempDir } from '../lib/subjects.js';

async function profileSubject(ctx, which) {
  const dir = tempDir(`profile-${which}`);
  const nodeArgs = ['--cpu-prof', '--cpu-prof-dir', dir];
  const config = benchConfig(ctx.backends.ports);
  const subject =
    which === 'ui'
      ? await startUi(config, { nodeArgs })
      : await startServe(config, { label: 'profile', nodeArgs });
  if (subject.skipped) return { skipped: subject.skipped };
  let r;
  try {
    r = await measure(ctx, { pid: subject.pid, url: subject.proxyUrl });
  } finally {
    await subject.stop();
  }
  // The profile is written as the process exits.
  let file;
  for (let i = 0; i < 50 && !file; i++) {
    file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) await sleep(100);
  }
  if (!file) throw new Error(`${which} wrote no CPU profile`);
  const summary = summarize(path.join(dir, file));
  fs.mkdirSync(ctx.out, { recursive: true });
  const keep = path.join(ctx.out, `${which}.cpuprofile`);
  fs.copyFileSync(path.join(dir, file), keep);
  return { subject: which, ...summary, file: path.relative(ROOT, keep), rpsWhileProfiled: r.rps };
}

export default {
  name: 'profile',
  // Only with --profile, for the subjects --only selects.
  when: (ctx) => ctx.profile,
  async run(ctx) {
    const profiles = [];
    for (const which of ['serve', 'ui']) {
      if (!ctx.want(which)) continue;
      ctx.log(`profiling ${which}…`);
      profiles.push(await profileSubject(ctx, which).catch((e) => ({ subject: which, error: e.message })));
    }
    return { profiles };
  },
};
