/**
 * `POST /commands` (runCommand): every verb of the CLI as its core command, answered with core's
 * summary and entity; a command of the wrong shape refused by name, a missing entity a 404 that
 * names it, core's own refusals passed on as they are; nothing changed by a refusal.
 */
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../src/admin/kong.js';
import { runCommand } from '../../src/admin/commands.js';
import { SwitchyardError } from '../../src/core/errors.js';
import { Store } from '../../src/core/store.js';
import { parseCommandLine } from '../../src/verbs/language.js';

function seeded(): Store {
  const store = new Store();
  store.dispatch({
    op: 'upstream.create',
    fields: { name: 'blue', targets: [{ target: '127.0.0.1:3001' }] },
  });
  store.dispatch({
    op: 'upstream.create',
    fields: { name: 'green', targets: [{ target: '127.0.0.1:3002' }] },
  });
  store.dispatch({ op: 'service.create', fields: { name: 'web', host: 'blue' } });
  return store;
}

/** Posts what the `:` line (and the CLI) makes of `line`. */
function post(store: Store, line: string) {
  return runCommand(store, { command: parseCommandLine(line) as unknown as Record<string, unknown> });
}

/** The error a body is refused with, the state left exactly as it was. */
function refused(store: Store, body: Record<string, unknown>): unknown {
  const before = store.state;
  let error: unknown;
  try {
    runCommand(store, body);
  } catch (e) {
    error = e;
  }
  expect(error).toBeDefined();
  expect(store.state).toBe(before);
  return error;
}

describe('POST /commands', () => {
  it("runs each of the CLI's verbs and answers core's summary and entity", () => {
    const store = seeded();
    const said = (line: string) => (post(store, line).body as { summary: string }).summary;
    expect(said('split web blue=80 green=20')).toBe('service web → blue 80% / green 20%');
    expect(said('switch web green')).toBe('service web → blue 0% / green 100%');
    expect(post(store, 'add-target blue 127.0.0.1:3009 5')).toEqual({
      status: 200,
      body: {
        summary: 'target 127.0.0.1:3009 added to blue (weight 5)',
        entity: expect.objectContaining({ target: '127.0.0.1:3009', weight: 5 }),
      },
    });
    expect(said('weight blue 127.0.0.1:3009 7')).toBe('target 127.0.0.1:3009 in blue: weight 5 → 7');
    expect(said('remove-target blue 127.0.0.1:3009')).toBe('target 127.0.0.1:3009 removed from blue');
    expect(said('undo')).toBe('undid "target 127.0.0.1:3009 removed from blue"');
    expect(store.state.upstreams[0]!.targets.map((t) => t.target)).toEqual([
      '127.0.0.1:3001',
      '127.0.0.1:3009',
    ]);
    expect(said('push web-v1 --route web.example.com --target 127.0.0.1:3005')).toBe(
      'app web-v1 pushed, route web.example.com',
    );
    expect(said('map-route web-v1 example.com --hostname other --weight 3')).toBe(
      'route other.example.com: web-v1 weight 3 (web-v1 0%)',
    );
    expect(said('unmap-route web-v1 example.com --hostname other')).toBe(
      'route other.example.com: web-v1 unmapped (no apps)',
    );
    expect(said('stop web-v1')).toBe('app web-v1 stopped');
    expect(said('start web-v1')).toBe('app web-v1 started');
    expect(said('restart web-v1')).toBe('app web-v1 restarting');
    expect(said('delete web-v1')).toBe('app web-v1 deleted');
    expect(store.state.apps).toEqual([]);
  });

  it('refuses a command of the wrong shape, naming the op or the key', () => {
    const store = seeded();
    const message = (body: Record<string, unknown>) => {
      const e = refused(store, body);
      expect(e).toBeInstanceOf(HttpError);
      expect((e as HttpError).status).toBe(400);
      return (e as HttpError).message;
    };
    expect(message({})).toBe('expected {"command": {"op": …}}');
    expect(message({ command: { op: 'state.replace', state: {} } })).toMatch(
      /^unknown command op "state\.replace"; one of: service\.split, /,
    );
    expect(message({ command: { op: 'toString' } })).toMatch(/^unknown command op "toString"/);
    expect(
      message({ command: { op: 'target.update', upstream: 'blue', target: '127.0.0.1:3001', fields: 5 } }),
    ).toBe('target.update: "fields" must be an object');
    expect(message({ command: { op: 'service.switch', service: 'web' } })).toBe(
      'service.switch: "upstream" must be a string',
    );
    expect(message({ command: { op: 'app.stop', app: 'x', force: true } })).toBe(
      'app.stop: unknown "force"; it takes "app"',
    );
    expect(message({ command: { op: 'service.split', service: 'web', split: [], force: 'yes' } })).toBe(
      'service.split: "force" must be true or false',
    );
  });

  it('a missing entity is a 404 that names it (a target with its upstream)', () => {
    const store = seeded();
    const notFound = (line: string) => {
      const e = refused(store, { command: parseCommandLine(line) });
      expect(e).toMatchObject({ status: 404 });
      return (e as HttpError).message;
    };
    expect(notFound('weight blue 127.0.0.1:3999 5')).toBe(
      "target '127.0.0.1:3999' of upstream 'blue' not found",
    );
    expect(notFound('remove-target nope 127.0.0.1:3001')).toBe("upstream 'nope' not found");
    expect(notFound('switch nope blue')).toBe("service 'nope' not found");
    expect(notFound('delete nope')).toBe("app 'nope' not found");
  });

  it("passes core's other refusals on as they are, for the admin API's status codes", () => {
    const store = seeded();
    const error = (line: string) => refused(store, { command: parseCommandLine(line) }) as SwitchyardError;
    expect(error('split web blue=0')).toMatchObject({ code: 'confirmation required' });
    expect(error('add-target blue 127.0.0.1:3001')).toMatchObject({ code: 'unique constraint violation' });
    expect(error('split web nosuch=1')).toMatchObject({ code: 'schema violation' });
    expect(refused(new Store(), { command: { op: 'undo' } })).toMatchObject({
      code: 'invalid',
      message: 'nothing to undo',
    });
  });
});
