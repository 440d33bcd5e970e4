import fs from 'node:fs';
import path from 'node:path';

/** The YAML of Kong's blue-green page (shared/seeds/004), read from the seed itself. */
export function seed004(): string {
  const text = fs.readFileSync(path.resolve(__dirname, '../../../shared/seeds/004_a4effff83ac050ad.txt'), 'utf8');
  const m = /```yaml\n([\s\S]*?)```/.exec(text);
  if (!m) throw new Error('no yaml block in seed 004');
  return m[1]!;
}
