/**
 * Key + what is on screen → intent, without rendering: the pure half of the UI's key handling
 * (key-intent.ts). The effects are the App tests' business; here, what each key asks for.
 */
import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import type { State } from '../../src/core/model.js';
import { Store } from '../../src/core/store.js';
import { Stats } from '../../src/proxy/stats.js';
import { initialUiState, type Mode, type UiState } from '../../src/ui/hooks/use-app-state.js';
import type { Intent, KeyView } from '../../src/ui/intent.js';
import { NO_KEY } from '../../src/ui/key-events.js';
import { keyIntents } from '../../src/ui/key-intent.js';
import { footerItems, KEYMAP } from '../../src/ui/keymap.js';
import { activePane, PANES, type Pane } from '../../src/ui/panes.js';
import { appRows } from '../../src/ui/view/apps.js';
import { deploymentRows } from '../../src/ui/view/deployments.js';
import { serviceRows } from '../../src/ui/view/services.js';
import { targetRows } from '../../src/ui/view/targets.js';

const key = (k: Partial<Key> = {}): Key => ({ ...NO_KEY, ...k });
const stats = new Stats().snapshot();

/** Service `shop` split blue 100 / green 0; apps `web-blue` (live) and `web-green` (pending beside it). */
function scene(): Store {
  const s = new Store();
  s.dispatch({ op: 'upstream.create', fields: { name: 'blue', targets: [{ target: '127.0.0.1:3001' }] } });
  s.dispatch({ op: 'upstream.create', fields: { name: 'green', targets: [{ target: '127.0.0.1:3002' }] } });
  s.dispatch({
    op: 'service.create',
    fields: {
      name: 'shop',
      host: 'blue',
      upstreams: [
        { name: 'blue', weight: 100 },
        { name: 'green', weight: 0 },
      ],
    },
  });
  s.dispatch({
    op: 'app.push',
    fields: { name: 'web-blue', targets: ['127.0.0.1:3003'], route: 'web.example.com' },
  });
  s.dispatch({
    op: 'app.push',
    fields: { name: 'web-green', targets: ['127.0.0.1:3004'], route: 'web-idle.example.com' },
  });
  s.dispatch({
    op: 'deployment.put',
    deployment: {
      id: '7',
      mta: 'web',
      version: '2.0.0',
      state: 'pending',
      modules: [
        {
          name: 'web',
          old_app: 'web-blue',
          new_app: 'web-green',
          routes: ['web.example.com'],
          temp_routes: ['web-idle.example.com'],
        },
      ],
    },
  });
  return s;
}

function view(store: Store, ui: Partial<UiState> = {}, more: Partial<KeyView> = {}): KeyView {
  const state: State = store.state;
  const services = serviceRows(state, stats, '', {});
  return {
    ui: { ...initialUiState, ...ui },
    state,
    canUndo: store.canUndo,
    services,
    targets: targetRows(state, stats, () => true, services[0]?.service ?? null, ''),
    apps: appRows(state, stats, undefined, ''),
    deployments: deploymentRows(state, stats, undefined, undefined, '', 0),
    panes: PANES,
    deployer: true,
    fleet: false,
    traffic: undefined,
    helpOverflow: 0,
    logOverflow: 0,
    ...more,
  };
}

const inPane = (pane: Pane) => ({ pane });
const flashOf = (intents: readonly Intent[]) =>
  intents.flatMap((i) => (i.kind === 'ui' && i.action.type === 'flash' ? [i.action.text] : []));
const modeOf = (intents: readonly Intent[]): Mode | undefined =>
  intents.flatMap((i) => (i.kind === 'ui' && i.action.type === 'mode' ? [i.action.mode] : []))[0];

describe('keys in the panes', () => {
  it('→ on a split asks the store for 5 points more on the second upstream; ctrl-→ does nothing', () => {
    const v = view(scene());
    expect(keyIntents(v, '', key({ rightArrow: true }))).toEqual([
      {
        kind: 'command',
        command: {
          op: 'service.split',
          service: v.services[0]?.key,
          split: [
            { name: 'blue', weight: 95 },
            { name: 'green', weight: 5 },
          ],
        },
      },
    ]);
    expect(keyIntents(v, '', key({ leftArrow: true, ctrl: true }))).toEqual([]);
    expect(keyIntents(v, '', key({ leftArrow: true, shift: true }))).toEqual([
      {
        kind: 'ui',
        action: { type: 'flash', level: 'info', text: expect.stringContaining('already has 0%') },
      },
    ]);
  });

  it('a dangerous binding asks first, Cancel selected; the effect waits in the dialog', () => {
    const v = view(scene(), inPane('apps'));
    const mode = modeOf(keyIntents(v, 'd', key()));
    expect(mode).toMatchObject({
      kind: 'confirm',
      choice: 'cancel',
      confirmLabel: 'Delete',
      effect: { kind: 'command', command: { op: 'app.delete', app: 'web-blue' } },
    });
    expect(KEYMAP.filter((b) => b.dangerous).map((b) => b.action)).toEqual([
      'app.delete',
      'deploy.abort',
      'deploy.cleanup',
    ]);
  });

  it('r resumes a pending deployment at once; a asks; c is refused by core, in words', () => {
    const v = view(scene(), inPane('deployments'));
    expect(keyIntents(v, 'r', key())).toEqual([{ kind: 'deploy.resume', id: '7' }]);
    expect(modeOf(keyIntents(v, 'a', key()))).toMatchObject({
      kind: 'confirm',
      message: 'Abort web 2.0.0 (7)? web-blue keeps all traffic',
      effect: { kind: 'deploy.abort', id: '7' },
    });
    expect(flashOf(keyIntents(v, 'c', key()))).toEqual([
      expect.stringContaining('only an aborted or failed deployment can be cleaned up'),
    ]);
    expect(
      flashOf(keyIntents(view(scene(), inPane('deployments'), { deployer: false }), 'r', key())),
    ).toEqual(['deployments are not available here']);
  });

  it('a key of another pane says where it works; the keys go to the pane before a gone one', () => {
    expect(flashOf(keyIntents(view(scene()), 'w', key()))).toEqual([
      "w (edit the target's weight) works in the upstreams pane: tab there",
    ]);
    expect(activePane('deployments', ['services', 'targets', 'apps'])).toBe('apps');
    const v = view(scene(), inPane('deployments'), { panes: ['services', 'targets', 'apps'] });
    expect(keyIntents(v, 'j', key())).toEqual([
      { kind: 'ui', action: { type: 'pane.set', pane: 'apps' } },
      { kind: 'ui', action: { type: 'cursor.move', delta: 1, count: 2 } },
    ]);
  });

  it("the rate keys stop at the generator's most; without one they say so", () => {
    const traffic = { rate: 15_000, maxRate: 20_000 };
    expect(keyIntents(view(scene(), {}, { traffic }), ']', key())).toEqual([{ kind: 'rate', rate: 20_000 }]);
    expect(keyIntents(view(scene(), {}, { traffic }), '{', key())).toEqual([{ kind: 'rate', rate: 14_990 }]);
    expect(flashOf(keyIntents(view(scene()), ']', key()))).toEqual([
      'no traffic generator here (it comes with "switchyard demo")',
    ]);
  });

  it('z with nothing to undo, A without a fleet, w off a target: a word, no effect', () => {
    const store = new Store();
    expect(keyIntents(view(store), 'z', key())).toEqual([
      { kind: 'ui', action: { type: 'flash', level: 'warning', text: 'nothing to undo' } },
    ]);
    expect(keyIntents(view(scene()), 'z', key())).toEqual([{ kind: 'undo' }]);
    expect(flashOf(keyIntents(view(scene()), 'A', key({ shift: true })))[0]).toMatch(
      /^A re-applies the state/,
    );
    expect(flashOf(keyIntents(view(scene(), inPane('targets')), 'w', key()))).toEqual([
      'select a target row (tab, then j/k) to edit its weight',
    ]);
  });
});

describe('keys in a dialog', () => {
  const prompt = (value: string): Partial<UiState> => ({
    mode: { kind: 'prompt', prompt: 'command', label: ':', value },
  });

  it('enter on the : line runs the verb; one that deletes asks first; a bad one flashes its usage', () => {
    const v = view(scene(), prompt('weight blue 127.0.0.1:3001 7'));
    expect(keyIntents(v, '\r', key({ return: true })).slice(1)).toEqual([
      { kind: 'ui', action: { type: 'history.push', line: 'weight blue 127.0.0.1:3001 7' } },
      {
        kind: 'command',
        command: { op: 'target.update', upstream: 'blue', target: '127.0.0.1:3001', fields: { weight: 7 } },
      },
    ]);
    const asks = keyIntents(
      view(scene(), prompt('remove-target blue 127.0.0.1:3001')),
      '\r',
      key({ return: true }),
    );
    expect(modeOf(asks.slice(1))).toMatchObject({
      kind: 'confirm',
      message: 'Remove target 127.0.0.1:3001 from blue?',
      choice: 'cancel',
    });
    expect(
      modeOf(
        keyIntents(view(scene(), prompt('bg-deploy -i 7 -a abort')), '\r', key({ return: true })).slice(1),
      ),
    ).toMatchObject({ kind: 'confirm', confirmLabel: 'Abort' });
    expect(flashOf(keyIntents(view(scene(), prompt('logs')), '\r', key({ return: true })))).toEqual([
      "usage: logs APP (opens the app's log)",
    ]);
  });

  it('a confirmation does its effect only on Enter with Confirm chosen; esc cancels; ctrl-c quits', () => {
    const effect = { kind: 'deploy.abort', id: '7' } as const;
    const confirm = (choice: 'cancel' | 'confirm'): Partial<UiState> => ({
      mode: { kind: 'confirm', message: '?', confirmLabel: 'Abort', effect, choice },
    });
    expect(keyIntents(view(scene(), confirm('confirm')), '\r', key({ return: true }))).toEqual([
      { kind: 'ui', action: { type: 'mode', mode: { kind: 'normal' } } },
      effect,
    ]);
    expect(flashOf(keyIntents(view(scene(), confirm('cancel')), '\r', key({ return: true })))).toEqual([
      'cancelled: nothing changed',
    ]);
    expect(
      flashOf(keyIntents(view(scene(), confirm('confirm')), '', key({ escape: true, meta: true }))),
    ).toEqual(['cancelled: nothing changed']);
    expect(keyIntents(view(scene(), confirm('confirm')), 'c', key({ ctrl: true }))).toEqual([
      { kind: 'quit' },
    ]);
  });

  it('a weight that is not a whole number changes nothing and says so', () => {
    const v = view(scene(), {
      mode: {
        kind: 'prompt',
        prompt: 'weight',
        label: 'w',
        value: 'abc',
        upstream: 'blue',
        target: '127.0.0.1:3001',
      },
    });
    const intents = keyIntents(v, '\r', key({ return: true }));
    expect(intents.some((i) => i.kind === 'command')).toBe(false);
    expect(flashOf(intents)).toEqual(["weight must be a whole number 0..65535, got 'abc': nothing changed"]);
  });
});

describe('the keymap', () => {
  it('the footer shows the keys the matcher takes: one spec per key, written once', () => {
    for (const b of KEYMAP) expect(b.specs.map((s) => s.text)).toEqual(b.keys);
    const items = footerItems(['services', 'global'], { demo: true, splitSize: 2, onTarget: false });
    expect(items.slice(0, 2)).toEqual([
      { keys: '←/→', label: '5%' },
      { keys: '⇧←/⇧→', label: '1%' },
    ]);
  });
});
