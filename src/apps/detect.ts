/**
 * What `push` runs when no command is given, as `kf push` finds it in the app's directory:
 * the `web:` line of a Procfile, else package.json's `start` script (`npm start`).
 */
import fs from 'node:fs';
import path from 'node:path';

export function detectCommand(dir: string): { command: string; from: string } | undefined {
  const procfile = path.join(dir, 'Procfile');
  if (fs.existsSync(procfile)) {
    const web = /^web:\s*(.+)$/m.exec(fs.readFileSync(procfile, 'utf8'));
    if (web?.[1]) return { command: web[1].trim(), from: procfile };
  }
  const pkg = path.join(dir, 'package.json');
  if (fs.existsSync(pkg)) {
    try {
      const json = JSON.parse(fs.readFileSync(pkg, 'utf8')) as { scripts?: { start?: string } };
      if (json.scripts?.start) return { command: 'npm start', from: pkg };
    } catch {
      return undefined;
    }
  }
  return undefined;
}
