/**
 * Key presses into a tmux session through one long-lived control-mode client (`tmux -C attach`):
 * each press is one line on its stdin, answered by `%end` once the tmux server has written the key
 * to the pane's terminal, so a press costs well under a millisecond instead of a `tmux send-keys`
 * process start (a few ms, more on a busy machine), which would otherwise sit inside a key-press
 * timing. The client asks not to be sent the pane's output, and a control client without a size
 * does not resize the window.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { track } from './procs.js';

export async function tmuxKeyClient(socket, target = 'ui') {
  const child = track(
    spawn('tmux', ['-L', socket, '-C', 'attach', '-t', target], { stdio: ['pipe', 'pipe', 'ignore'] }),
  );
  // Replies come in the order of the commands; `%begin/%end TIME NUMBER FLAGS`, FLAGS 1 for ours.
  const waiting = [];
  let buf = '';
  let attached;
  const ready = new Promise((resolve, reject) => {
    attached = resolve;
    child.once('exit', (code) => reject(new Error(`tmux -C attach exited (${code})`)));
    setTimeout(() => reject(new Error('tmux -C attach did not attach within 5 s')), 5000).unref();
  });
  child.stdout.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.startsWith('%session-changed')) attached();
      const m = /^%(end|error) \d+ \d+ 1/.exec(line);
      if (!m) continue;
      const w = waiting.shift();
      if (m[1] === 'end') w?.resolve(performance.now() - w.t0);
      else w?.reject(new Error(`tmux refused ${w.command}`));
    }
  });
  child.on('exit', () => {
    for (const w of waiting.splice(0)) w.reject(new Error('the tmux control client exited'));
  });
  const command = (line) =>
    new Promise((resolve, reject) => {
      waiting.push({ t0: performance.now(), command: line, resolve, reject });
      child.stdin.write(`${line}\n`);
    });
  await ready;
  await command('refresh-client -f no-output');
  return {
    /** Resolves with the ms until tmux had written the key to the pane. */
    press: (key) => command(`send-keys -t ${target} ${key}`),
    close: () => child.stdin.end(),
  };
}
