/** Runs a bench/lib script in a process of its own and resolves with the one JSON object it prints. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { track } from './procs.js';

export function childJson(name, args, timeoutMs = 120_000) {
  const script = fileURLToPath(new URL(`./${name}`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = track(spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${name} exited with ${code}: ${err.slice(-400)}`));
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`${name} said: ${out.slice(-400)} ${err.slice(-400)}`));
      }
    });
  });
}
