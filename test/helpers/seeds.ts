import fs from 'node:fs';
import path from 'node:path';

/**
 * The YAML of Kong's blue-green page (shared/seeds/004), committed as a fixture so that the tests
 * run in any clone: test/fixtures/seed-004-kong-blue-green.yaml is the page's yaml block, verbatim.
 */
export function seed004(): string {
  return fs.readFileSync(path.resolve(__dirname, '../fixtures/seed-004-kong-blue-green.yaml'), 'utf8');
}
