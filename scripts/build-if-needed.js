#!/usr/bin/env node
/**
 * `npm start` and `npm run serve`: builds only when a source file is newer than the build, and
 * says so first, so a first start is not twenty silent seconds.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist', 'cli', 'main.js');

function newest(dir) {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

const sources = Math.max(newest(path.join(root, 'src')), ...['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'].map((f) => fs.statSync(path.join(root, f)).mtimeMs));
if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= sources) process.exit(0);
process.stderr.write(fs.existsSync(built) ? 'switchyard: sources changed, building (tsc)…\n' : 'switchyard: building (tsc, about 20 s the first time)…\n');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
// tsc leaves an unchanged file alone: mark the build as newer than the sources it came from.
const now = new Date();
fs.utimesSync(built, now, now);
