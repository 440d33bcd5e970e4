/**
 * The whole state at once: `/config` (Kong's DB-less endpoint: export, and load a declarative
 * document through the CLI's loader) and `/undo` (the operator's last change reverted).
 */
import { randomUUID } from 'node:crypto';
import { exportYaml, readDeclarative, toDeclarative } from '../config/yaml.js';
import type { Store } from '../core/store.js';
import { parseBodyOf, readBody } from './body.js';
import { created, HttpError, ok } from './kong.js';
import type { Router } from './router.js';

export function defineConfig(router: Router, store: Store): void {
  // The whole state as Kong declarative config, as Kong's DB-less /config does it.
  router.on('GET', '/config', ({ url }) =>
    url.searchParams.get('format') === 'json'
      ? ok({ config: toDeclarative(store.state) })
      : ok({ config: exportYaml(store.state) }),
  );
  router.on('POST', '/config', async ({ req, url }) => {
    const buf = await readBody(req);
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    // Kong's DB-less /config takes the document in a `config` field (JSON, form or multipart:
    // `curl -F config=@kong.yaml`); switchyard also takes the document itself as the body.
    let text = buf.toString('utf8');
    if (/^(application\/json|application\/x-www-form-urlencoded|multipart\/form-data)/.test(type)) {
      const fields = await parseBodyOf(buf, req.headers['content-type']);
      if (typeof fields.config === 'string') text = fields.config;
      else if (!type.startsWith('application/json'))
        throw new HttpError(400, {
          message: 'give the declarative configuration as the field "config" (curl -F config=@kong.yaml)',
        });
    }
    // The CLI's loader, with its flag as a query parameter (Kong's /config has none): what
    // switchyard does not have is refused by name, or with ?skip_unsupported=true left out and listed.
    const skip = ['true', '1'].includes(url.searchParams.get('skip_unsupported') ?? '');
    const source = url.searchParams.get('source') ?? 'config';
    const loaded = readDeclarative(
      text,
      { now: Math.floor(Date.now() / 1000), newId: randomUUID },
      { source, skipUnsupported: skip },
    );
    const outcome = store.dispatch({ op: 'state.replace', state: loaded.state }, 'admin');
    return created({
      summary: outcome.summary,
      config: toDeclarative(outcome.state),
      skipped: loaded.skipped,
      skipped_on_routes: loaded.routes,
    });
  });
  router.on('POST', '/undo', () => ok({ summary: store.undo('admin').summary }));
}
