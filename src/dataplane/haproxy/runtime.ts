/**
 * A small client for HAProxy's runtime API (the "stats socket"), over a unix socket or TCP.
 * One command per connection: send `cmd\n`, read until HAProxy closes. Every call is bounded by
 * a timeout. Commands that answer nothing on success (`set server …`) and commands that answer
 * with a known sentence are told apart from refusals, which throw a RuntimeCommandError carrying
 * HAProxy's own words.
 */
import net from 'node:net';

export class RuntimeUnreachable extends Error {
  constructor(
    readonly address: string,
    message: string,
  ) {
    super(message);
    this.name = 'RuntimeUnreachable';
  }
}

export class RuntimeCommandError extends Error {
  constructor(
    readonly command: string,
    readonly answer: string,
  ) {
    super(`${command}: ${answer}`);
    this.name = 'RuntimeCommandError';
  }
}

/** `/path/admin.sock`, `unix:/path`, `./admin.sock` → unix; `host:port`, `[::1]:port` → TCP. */
export function connectOptions(address: string): net.NetConnectOpts {
  if (address.startsWith('unix:')) return { path: address.slice(5) };
  const m = /^(\[[^\]]+\]|[^:/]+):(\d{1,5})$/.exec(address);
  if (m && !address.includes('/')) {
    const host = (m[1] as string).replace(/^\[|\]$/g, '');
    return { host, port: Number(m[2]) };
  }
  return { path: address };
}

export interface ServerStateRow {
  readonly backend: string;
  readonly server: string;
  readonly addr: string;
  readonly port: number;
  /** 0 stopped, 1 starting, 2 running, 3 stopping. */
  readonly opState: number;
  /** Bit mask: 0x01 forced maint, 0x02 inherited maint, 0x04 config maint, 0x08 forced drain, 0x10 inherited drain, 0x20 resolution maint. */
  readonly adminState: number;
  readonly weight: number;
  readonly initialWeight: number;
}

export type AdminState = 'ready' | 'drain' | 'maint';

export function adminStateOf(mask: number): AdminState {
  if (mask & (0x01 | 0x02 | 0x04 | 0x20)) return 'maint';
  if (mask & (0x08 | 0x10)) return 'drain';
  return 'ready';
}

export interface StatRow {
  readonly pxname: string;
  readonly svname: string;
  /** Total sessions (for an HTTP server: requests sent to it). */
  readonly stot: number;
  /** Sessions per second over the last second. */
  readonly rate: number;
  readonly hrsp: { readonly '1xx': number; readonly '2xx': number; readonly '3xx': number; readonly '4xx': number; readonly '5xx': number };
  readonly econ: number;
  readonly eresp: number;
  /** UP, DOWN, MAINT, DRAIN, NOLB, "no check", "UP 1/3", … */
  readonly status: string;
  readonly weight: number;
  readonly scur: number;
  /** Requests queued for the server (sent to it once a connection slot frees). */
  readonly qcur: number;
  readonly addr: string;
}

export interface MapInfo {
  readonly id: number;
  readonly file: string;
}

/** A map file as an instance holds it: its identifier (the path it was loaded from) and entries, in order. */
export interface InstanceMap {
  readonly file: string;
  readonly entries: ReadonlyMap<string, string>;
}

const OK_ANSWERS = [/^$/, /^New server registered\.$/, /^Server deleted\.$/, /^New version created: \d+$/, /^no need to change/, /^IP changed from/, /^(IP|port) changed/];

export class RuntimeClient {
  readonly timeoutMs: number;

  constructor(
    readonly address: string,
    opts: { timeoutMs?: number } = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
  }

  /** Sends one command (or a payload command ending with an empty line) and returns the whole answer. */
  raw(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const sock = net.connect(connectOptions(this.address));
      let out = '';
      let done = false;
      const finish = (err: Error | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sock.destroy();
        if (err) reject(err);
        else resolve(out);
      };
      const timer = setTimeout(() => finish(new RuntimeUnreachable(this.address, `${this.address}: no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      sock.setEncoding('utf8');
      sock.on('data', (chunk: string) => (out += chunk));
      sock.on('end', () => finish(null));
      sock.on('close', () => finish(null));
      sock.on('error', (e: NodeJS.ErrnoException) => finish(new RuntimeUnreachable(this.address, `${this.address}: ${e.code ?? e.message}`)));
      sock.on('connect', () => sock.write(command.endsWith('\n') ? command : command + '\n'));
    });
  }

  /** A command that changes something: throws RuntimeCommandError unless HAProxy's answer means success. */
  async exec(command: string): Promise<string> {
    const answer = (await this.raw(command)).trim();
    if (!OK_ANSWERS.some((re) => re.test(answer))) throw new RuntimeCommandError(command.split('\n')[0] as string, answer.split('\n').join(' '));
    return answer;
  }

  async showInfo(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const line of (await this.raw('show info')).split('\n')) {
      const i = line.indexOf(':');
      if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
    }
    if (out.Pid === undefined) throw new RuntimeUnreachable(this.address, `${this.address}: unexpected answer to show info`);
    return out;
  }

  /** Every proxy that is a backend (`show backend`). */
  async showBackends(): Promise<string[]> {
    const text = await this.raw('show backend');
    return text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
  }

  async showServersState(backend?: string): Promise<ServerStateRow[]> {
    const text = await this.raw(backend ? `show servers state ${backend}` : 'show servers state');
    const rows: ServerStateRow[] = [];
    const lines = text.split('\n');
    if (!/^\d+$/.test((lines[0] ?? '').trim())) {
      const answer = text.trim();
      if (answer !== '') throw new RuntimeCommandError(backend ? `show servers state ${backend}` : 'show servers state', answer);
    }
    for (const line of lines.slice(1)) {
      if (line.startsWith('#') || line.trim() === '') continue;
      const f = line.split(' ');
      rows.push({
        backend: f[1] ?? '',
        server: f[3] ?? '',
        addr: f[4] ?? '',
        opState: Number(f[5]),
        adminState: Number(f[6]),
        weight: Number(f[7]),
        initialWeight: Number(f[8]),
        port: Number(f[18]),
      });
    }
    return rows;
  }

  /** `show stat` as rows, by column name (the header line names them). */
  async showStat(): Promise<StatRow[]> {
    return parseStat(await this.raw('show stat'));
  }

  setWeight(backend: string, server: string, weight: number): Promise<string> {
    return this.exec(`set server ${backend}/${server} weight ${weight}`);
  }

  setState(backend: string, server: string, state: AdminState): Promise<string> {
    return this.exec(`set server ${backend}/${server} state ${state}`);
  }

  setAddr(backend: string, server: string, host: string, port: number): Promise<string> {
    return this.exec(`set server ${backend}/${server} addr ${host} port ${port}`);
  }

  addServer(backend: string, server: string, args: string): Promise<string> {
    return this.exec(`add server ${backend}/${server} ${args}`);
  }

  delServer(backend: string, server: string): Promise<string> {
    return this.exec(`del server ${backend}/${server}`);
  }

  enableHealth(backend: string, server: string): Promise<string> {
    return this.exec(`enable health ${backend}/${server}`);
  }

  async showMaps(): Promise<MapInfo[]> {
    const out: MapInfo[] = [];
    for (const line of (await this.raw('show map')).split('\n')) {
      const m = /^(\d+) \((.*?)\) /.exec(line);
      if (m) out.push({ id: Number(m[1]), file: m[2] as string });
    }
    return out;
  }

  /** The entries of a map, key → value (the first for a repeated key). */
  async showMap(map: string): Promise<Map<string, string>> {
    const text = await this.raw(`show map ${map}`);
    const out = new Map<string, string>();
    for (const line of text.split('\n')) {
      const m = /^0x[0-9a-f]+ (\S+)(?: (.*))?$/.exec(line);
      if (m) {
        if (!out.has(m[1] as string)) out.set(m[1] as string, m[2] ?? '');
      } else if (line.trim() !== '') throw new RuntimeCommandError(`show map ${map}`, text.trim());
    }
    return out;
  }

  /** Replaces a map's whole content atomically: prepare a version, fill it, commit it. */
  async replaceMap(map: string, entries: ReadonlyMap<string, string>): Promise<void> {
    const answer = await this.exec(`prepare map ${map}`);
    const m = /New version created: (\d+)/.exec(answer);
    if (!m) throw new RuntimeCommandError(`prepare map ${map}`, answer);
    const ver = m[1] as string;
    if (entries.size > 0) {
      const payload = [...entries].map(([k, v]) => `${k} ${v}`).join('\n');
      await this.exec(`add map @${ver} ${map} <<\n${payload}\n\n`);
    }
    await this.exec(`commit map @${ver} ${map}`);
  }

  /** A process-wide variable's value, or null when it is not set. */
  async getVar(name: string): Promise<string | null> {
    const text = (await this.raw(`get var ${name}`)).trim();
    const m = /value=<(.*)>$/s.exec(text);
    return m ? (m[1] as string) : null;
  }
}

function num(v: string | undefined): number {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}

export function parseStat(csv: string): StatRow[] {
  const lines = csv.split('\n');
  const header = (lines[0] ?? '').replace(/^# /, '').split(',');
  const col = new Map(header.map((h, i) => [h, i]));
  const get = (f: string[], name: string) => f[col.get(name) ?? -1];
  const rows: StatRow[] = [];
  for (const line of lines.slice(1)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = line.split(',');
    rows.push({
      pxname: get(f, 'pxname') ?? '',
      svname: get(f, 'svname') ?? '',
      stot: num(get(f, 'stot')),
      rate: num(get(f, 'rate')),
      hrsp: { '1xx': num(get(f, 'hrsp_1xx')), '2xx': num(get(f, 'hrsp_2xx')), '3xx': num(get(f, 'hrsp_3xx')), '4xx': num(get(f, 'hrsp_4xx')), '5xx': num(get(f, 'hrsp_5xx')) },
      econ: num(get(f, 'econ')),
      eresp: num(get(f, 'eresp')),
      status: get(f, 'status') ?? '',
      weight: num(get(f, 'weight')),
      scur: num(get(f, 'scur')),
      qcur: num(get(f, 'qcur')),
      addr: get(f, 'addr') ?? '',
    });
  }
  return rows;
}
