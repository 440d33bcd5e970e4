/**
 * The house rules a reviewer would otherwise check by eye: every source file says its one job in
 * its first comment, and a file over 400 lines says why it is one room ("Over 400 lines …" in that comment).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const LIMIT = 400;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(ts|tsx|js)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

const files = [
  ...sources(path.join(ROOT, 'src')),
  ...sources(path.join(ROOT, 'bench')).filter((f) => !f.includes(`${path.sep}results${path.sep}`)),
];

/** The first comment of a file, after a shebang and imports-free preamble. */
function firstComment(text: string): string | null {
  const body = text.replace(/^#!.*\n/, '').trimStart();
  const m = /^\/\*\*?([\s\S]*?)\*\//.exec(body) ?? /^((?:\/\/.*\n)+)/.exec(body);
  return m ? (m[1] ?? '') : null;
}

describe('the house', () => {
  it('every source file opens with a comment that says its job', () => {
    const silent = files.filter((f) => {
      const c = firstComment(fs.readFileSync(f, 'utf8'));
      return c === null || c.replace(/[\s*/]/g, '').length < 20;
    });
    expect(silent.map((f) => path.relative(ROOT, f))).toEqual([]);
  });

  it(`no source file is over ${LIMIT} lines without the reason at its top`, () => {
    const long = files.filter((f) => {
      const text = fs.readFileSync(f, 'utf8');
      const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
      return lines > LIMIT && !new RegExp(`\\bover ${LIMIT} lines\\b`, 'i').test(firstComment(text) ?? '');
    });
    expect(long.map((f) => path.relative(ROOT, f))).toEqual([]);
  });
});
