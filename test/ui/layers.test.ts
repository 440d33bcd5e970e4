/**
 * The UI's layer: it steers the engine through core and small interfaces of its own (ports.ts),
 * never through the admin API, the CLI or the demo, which are other surfaces beside it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const UI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/ui');
/** The `:` line's verbs still come from the CLI's parser until that moves (issue #18). */
const ALLOWED = new Set(['command-line.ts: ../cli/verbs.js']);

function files(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? files(path.join(dir, e.name))
        : /\.tsx?$/.test(e.name)
          ? [path.join(dir, e.name)]
          : [],
    );
}

it('src/ui imports nothing from src/admin, src/cli or src/demo', () => {
  const found: string[] = [];
  for (const file of files(UI)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import\()\s*'([^']+)'/g)) {
      const target = path.resolve(path.dirname(file), m[1] as string);
      const layer = path.relative(path.dirname(UI), target).split(path.sep)[0];
      const where = `${path.relative(UI, file)}: ${m[1]}`;
      if ((layer === 'admin' || layer === 'cli' || layer === 'demo') && !ALLOWED.has(where))
        found.push(where);
    }
  }
  expect(found).toEqual([]);
});
