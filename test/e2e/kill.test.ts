/** State is never lost: SIGKILL at random moments during a burst of changes leaves a state file that loads. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfStore } from '../../src/persist/conf-store.js';
import { serve } from '../helpers/cli.js';
import { waitUntil } from '../helpers/wait.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-kill-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('SIGKILL during a burst of changes', () => {
  it('always leaves a state file that loads and validates', async () => {
    const stateDir = path.join(dir, 'state');
    let lastWeight = -1;
    for (let round = 0; round < 4; round++) {
      const sy = await serve(['--state-dir', stateDir]);
      const api = (method: string, p: string, body?: unknown) =>
        fetch(`${sy.adminUrl}${p}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (round === 0) {
        await api('POST', '/upstreams', { name: 'blue' });
        await api('POST', '/upstreams/blue/targets', { target: '127.0.0.1:3001' });
      }
      let stop = false;
      let acked = 0;
      const burst = (async () => {
        for (let i = 0; !stop; i++) {
          try {
            const r = await api('PATCH', '/upstreams/blue/targets/127.0.0.1:3001', { weight: (round * 1000 + i) % 65536 });
            if (r.status === 200) {
              lastWeight = (round * 1000 + i) % 65536;
              acked++;
            }
          } catch {
            return;
          }
        }
      })();
      // The kill must land during this round's burst: wait until it has begun (a first change
      // acknowledged, so that the one in flight is lastWeight + 1), then a random moment later.
      await waitUntil(`the burst of round ${round} to begin`, () => acked > 0);
      await new Promise((r) => setTimeout(r, Math.random() * 300));
      await sy.stop('SIGKILL');
      stop = true;
      await burst;
      const state = new ConfStore({ dir: stateDir }).load();
      const weight = state.upstreams[0]?.targets[0]?.weight;
      // Every acknowledged change was saved before it was acknowledged; at most the one in flight is newer.
      expect(weight === lastWeight || weight === lastWeight + 1).toBe(true);
    }
  }, 60_000);
});
