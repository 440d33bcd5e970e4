import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/core/store.js';
import { ConfStore, StateFileError } from '../../src/persist/conf-store.js';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-state-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('state file', () => {
  it('saves every change and restores it', () => {
    const dir = tmp();
    const file = new ConfStore({ dir });
    const store = new Store({ initial: file.load(), persist: (s) => file.save(s) });
    store.dispatch({ op: 'upstream.create', fields: { name: 'blue', targets: [{ target: '127.0.0.1:3001', weight: 7 }] } });
    store.dispatch({ op: 'service.create', fields: { name: 'web', host: 'blue' } });
    store.dispatch({ op: 'route.create', service: 'web', fields: { hosts: ['web.localhost'] } });
    const again = new ConfStore({ dir }).load();
    expect(again).toEqual(store.state);
    expect(file.path).toBe(path.join(dir, 'state.json'));
  });

  it('refuses a corrupt file, names it and leaves it as it was', () => {
    const dir = tmp();
    const p = path.join(dir, 'state.json');
    fs.writeFileSync(p, '{"format":1,"state":{"upstreams":[{"name":');
    let err: unknown;
    try {
      new ConfStore({ dir }).load();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateFileError);
    expect((err as Error).message).toContain(p);
    expect((err as Error).message).toContain('--reset-state');
    expect(fs.readFileSync(p, 'utf8')).toBe('{"format":1,"state":{"upstreams":[{"name":');
  });

  it('refuses a file that parses but does not validate', () => {
    const dir = tmp();
    const p = path.join(dir, 'state.json');
    const bad = JSON.stringify({ format: 1, state: { upstreams: [{ name: 'u', targets: [{ target: '127.0.0.1:1', weight: -4 }] }], services: [], routes: [] } });
    fs.writeFileSync(p, bad);
    expect(() => new ConfStore({ dir }).load()).toThrow(/upstreams\[0\]\.targets\[0\]\.weight/);
    expect(fs.readFileSync(p, 'utf8')).toBe(bad);
  });

  it('moves an unreadable file aside only when asked', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'state.json'), 'not json');
    const file = new ConfStore({ dir, reset: true });
    const state = file.load(true);
    expect(state.upstreams).toEqual([]);
    expect(file.movedAside).toMatch(/state\.json\.corrupt-/);
    expect(fs.readFileSync(file.movedAside!, 'utf8')).toBe('not json');
  });
});
