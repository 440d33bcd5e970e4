/**
 * The target's answer as the client gets it (src/proxy/respond.ts): raw headers in order with
 * duplicates kept, hop-by-hop ones left with the pooled connection, Node's own framing and
 * keep-alive for the client's; and the target's Keep-Alive hint honoured by closing the free
 * connection before the target would (agents.ts), with no timer per request.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Store } from '../../src/core/store.js';
import { ProxyServer } from '../../src/proxy/server.js';
import { Stats } from '../../src/proxy/stats.js';
import { waitUntil } from '../helpers/wait.js';

let proxy: ProxyServer;
let store: Store;
let port: number;
const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  store = new Store();
  proxy = new ProxyServer({ store, stats: new Stats(), host: '127.0.0.1', port: 0 });
  port = (await proxy.listen()).port;
});

afterEach(async () => {
  store.dispatch({ op: 'state.replace', state: { upstreams: [], services: [], routes: [] } });
  for (const s of sockets) s.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

afterAll(async () => {
  await proxy.close(100);
});

/**
 * A target that answers every request with exactly `answer` (the bytes on the wire) and keeps the
 * connection open; `events` records what happened to its connections.
 */
async function rawTarget(answer: string): Promise<{ address: string; events: string[] }> {
  const events: string[] = [];
  const server = net.createServer((socket) => {
    events.push('open');
    sockets.add(socket);
    let buffered = '';
    socket.on('data', (d: Buffer) => {
      buffered += d.toString('latin1');
      while (buffered.includes('\r\n\r\n')) {
        buffered = buffered.slice(buffered.indexOf('\r\n\r\n') + 4);
        socket.write(answer);
      }
    });
    socket.on('end', () => {
      events.push('closed by the proxy');
      socket.end();
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, events };
}

function route(target: string, host: string): void {
  store.dispatch({
    op: 'batch',
    commands: [
      { op: 'service.create', fields: { name: host.split('.')[0]!, url: `http://${target}` } },
      { op: 'route.create', service: host.split('.')[0]!, fields: { hosts: [host] } },
    ],
  });
}

/** One request over a raw socket: the answer's head (status line and header lines) and its body, decoded from the framing. */
function rawGet(host: string, extra = ''): Promise<{ status: string; headers: [string, string][]; body: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(`GET / HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`));
    let text = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no whole answer within 10 s; got ${JSON.stringify(text)}`));
    }, 10_000);
    s.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) return;
      const [status, ...lines] = text.slice(0, end).split('\r\n');
      const headers = lines.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()] as [string, string]);
      const rest = text.slice(end + 4);
      const length = headers.find(([k]) => k.toLowerCase() === 'content-length');
      let body: string | null = null;
      if (length) body = rest.length >= Number(length[1]) ? rest.slice(0, Number(length[1])) : null;
      else if (rest.endsWith('0\r\n\r\n')) {
        body = '';
        for (let at = 0; ; ) {
          const size = parseInt(rest.slice(at, rest.indexOf('\r\n', at)), 16);
          if (size === 0) break;
          const start = rest.indexOf('\r\n', at) + 2;
          body += rest.slice(start, start + size);
          at = start + size + 2;
        }
      }
      if (body === null) return;
      clearTimeout(timer);
      s.destroy();
      resolve({ status: status!, headers, body });
    });
    s.on('error', reject);
  });
}

describe("the target's answer", () => {
  it('passes headers in order with duplicates, keeps hop-by-hop ones (and those Connection names) with the pooled connection, and lets Node frame the body', async () => {
    const t = await rawTarget(
      'HTTP/1.1 201 Made Here\r\n' +
        'Content-Type: text/plain\r\n' +
        'Set-Cookie: a=1\r\n' +
        'Connection: keep-alive, X-Private\r\n' +
        'X-Private: secret\r\n' +
        'Keep-Alive: timeout=600\r\n' +
        'Transfer-Encoding: chunked\r\n' +
        'Set-Cookie: b=2\r\n' +
        'X-End-To-End: kept\r\n' +
        '\r\n' +
        '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
    );
    route(t.address, 'answer.localhost');
    const r = await rawGet('answer.localhost');
    expect(r.status).toBe('HTTP/1.1 201 Made Here');
    expect(r.body).toBe('hello world');
    const names = r.headers.map(([k]) => k.toLowerCase());
    // The target's own headers, in its order and spelling, duplicates kept.
    expect(r.headers.filter(([k]) => !['connection', 'keep-alive', 'transfer-encoding', 'date'].includes(k.toLowerCase()))).toEqual([
      ['Content-Type', 'text/plain'],
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
      ['X-End-To-End', 'kept'],
    ]);
    expect(names).not.toContain('x-private');
    // Connection and Keep-Alive describe the client's connection now (Node's 5 s, not the target's 600).
    expect(r.headers.find(([k]) => k.toLowerCase() === 'keep-alive')?.[1]).toBe('timeout=5');
    expect(r.headers.find(([k]) => k.toLowerCase() === 'connection')?.[1]).toBe('keep-alive');
    expect(names.filter((n) => n === 'transfer-encoding')).toEqual(['transfer-encoding']);
  });

  it('answers an HTTP/1.0 client without chunks, and closes as 1.0 asks', async () => {
    const t = await rawTarget('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    route(t.address, 'old.localhost');
    const text = await new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.0\r\nHost: old.localhost\r\n\r\n'));
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString('latin1')));
      s.on('end', () => resolve(got));
      s.on('error', reject);
      setTimeout(() => reject(new Error(`not closed within 10 s; got ${JSON.stringify(got)}`)), 10_000).unref();
    });
    expect(text.toLowerCase()).not.toContain('transfer-encoding');
    expect(text.toLowerCase()).toContain('connection: close');
    expect(text.endsWith('\r\n\r\nabc')).toBe(true);
  });

  it("closes a free connection before the target's Keep-Alive hint runs out, and opens a new one for the next request", async () => {
    // The target says 2 s but would keep the connection open for ever: only the proxy can close it.
    const t = await rawTarget('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=2\r\n\r\nok');
    route(t.address, 'hint.localhost');
    expect((await rawGet('hint.localhost')).body).toBe('ok');
    await waitUntil('the proxy to close its free connection to the target', () => t.events.includes('closed by the proxy'), {
      seen: () => t.events.join(', '),
    });
    expect((await rawGet('hint.localhost')).body).toBe('ok');
    expect(t.events).toEqual(['open', 'closed by the proxy', 'open']);
  });

  it('keeps a free connection the target gave no hint for (read_timeout is the only limit)', async () => {
    const t = await rawTarget('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    route(t.address, 'nohint.localhost');
    for (let i = 0; i < 3; i++) expect((await rawGet('nohint.localhost')).body).toBe('ok');
    expect(t.events).toEqual(['open']);
  });

  it('streams a large answer to a client that stops reading without buffering it: the target is held back until the client reads', async () => {
    let res: import('node:http').ServerResponse | null = null;
    const seeRes = (_req: unknown, r: import('node:http').ServerResponse): void => {
      res = r;
    };
    proxy.server.on('request', seeRes);
    const total = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    let held = false;
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.once('data', () => {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
        let sent = 0;
        const more = (): void => {
          while (sent < total) {
            sent += chunk.length;
            if (!socket.write(chunk)) {
              held = true;
              socket.once('drain', more);
              return;
            }
          }
        };
        more();
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    route(`127.0.0.1:${(server.address() as AddressInfo).port}`, 'big.localhost');
    const client = net.connect(port, '127.0.0.1');
    sockets.add(client);
    await new Promise<void>((r) => client.once('connect', r));
    client.write('GET / HTTP/1.1\r\nHost: big.localhost\r\n\r\n');
    client.pause();
    // Without backpressure the proxy would take all 64 MiB into memory, queued for the client.
    const queued = await waitUntil('the target held back and the answer queued for the client', () => {
      const n = (res as import('node:http').ServerResponse | null)?.writableLength ?? 0;
      return held && n > 0 ? n : null;
    });
    proxy.server.off('request', seeRes);
    expect(queued).toBeLessThan(1024 * 1024);
    let got = 0;
    let head = '';
    const done = new Promise<void>((resolve) => {
      client.on('data', (d: Buffer) => {
        if (head.indexOf('\r\n\r\n') === -1) {
          head += d.toString('latin1');
          const end = head.indexOf('\r\n\r\n');
          if (end !== -1) got += head.length - end - 4;
        } else got += d.length;
        if (got >= total) resolve();
      });
    });
    client.resume();
    await done;
    expect(got).toBe(total);
  });

  it("closes the target's connection when the client goes mid-answer", async () => {
    const events: string[] = [];
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nfirst part'));
      socket.on('end', () => events.push('closed by the proxy'));
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    route(`127.0.0.1:${(server.address() as AddressInfo).port}`, 'gone.localhost');
    await new Promise<void>((resolve, reject) => {
      const c = net.connect(port, '127.0.0.1', () => c.write('GET / HTTP/1.1\r\nHost: gone.localhost\r\n\r\n'));
      let got = '';
      c.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        if (got.endsWith('first part')) {
          c.destroy();
          resolve();
        }
      });
      c.on('error', reject);
    });
    await waitUntil("the proxy to close the target's connection", () => events.includes('closed by the proxy'));
  });

  it("cuts the client's connection when the target dies mid-answer, so the client sees the answer is short", async () => {
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly this', () => socket.destroy());
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    route(`127.0.0.1:${(server.address() as AddressInfo).port}`, 'cut.localhost');
    const text = await new Promise<string>((resolve, reject) => {
      const c = net.connect(port, '127.0.0.1', () => c.write('GET / HTTP/1.1\r\nHost: cut.localhost\r\n\r\n'));
      sockets.add(c);
      let got = '';
      c.on('data', (d: Buffer) => (got += d.toString('latin1')));
      c.on('close', () => resolve(got));
      c.on('error', () => {});
      setTimeout(() => reject(new Error(`the client's connection stayed open; got ${JSON.stringify(got)}`)), 10_000).unref();
    });
    expect(text.startsWith('HTTP/1.1 200 OK')).toBe(true);
    expect(text.endsWith('only this')).toBe(true);
  });

  it('answers HEAD and 304 with the target\'s Content-Length and no body, and the connection serves the next request', async () => {
    const server = net.createServer((socket) => {
      sockets.add(socket);
      let buffered = '';
      socket.on('data', (d: Buffer) => {
        buffered += d.toString('latin1');
        while (buffered.includes('\r\n\r\n')) {
          const head = buffered.slice(0, buffered.indexOf('\r\n\r\n'));
          buffered = buffered.slice(buffered.indexOf('\r\n\r\n') + 4);
          if (head.startsWith('HEAD')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n');
          else if (/if-none-match/i.test(head)) socket.write('HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n');
          else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\nETag: "v1"\r\n\r\nbody');
        }
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    route(`127.0.0.1:${(server.address() as AddressInfo).port}`, 'head.localhost');
    // Three requests on one client connection: each answer must end exactly where its framing says.
    const text = await new Promise<string>((resolve, reject) => {
      const c = net.connect(port, '127.0.0.1', () =>
        c.write(
          'HEAD / HTTP/1.1\r\nHost: head.localhost\r\n\r\n' +
            'GET / HTTP/1.1\r\nHost: head.localhost\r\nIf-None-Match: "v1"\r\n\r\n' +
            'GET / HTTP/1.1\r\nHost: head.localhost\r\n\r\n',
        ),
      );
      sockets.add(c);
      let got = '';
      c.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        if (got.endsWith('body')) resolve(got);
      });
      c.on('error', reject);
      setTimeout(() => reject(new Error(`three answers not all in within 10 s; got ${JSON.stringify(got)}`)), 10_000).unref();
    });
    const answers = text.split(/(?=HTTP\/1\.1 )/);
    expect(answers.map((a) => a.split('\r\n')[0])).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 304 Not Modified', 'HTTP/1.1 200 OK']);
    expect(answers[0]!.toLowerCase()).toContain('content-length: 100');
    expect(answers[0]!.endsWith('\r\n\r\n')).toBe(true);
    expect(answers[1]!.endsWith('\r\n\r\n')).toBe(true);
    expect(answers[2]!.endsWith('\r\n\r\nbody')).toBe(true);
  });
});
