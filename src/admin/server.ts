/**
 * The admin API server: Kong's Admin API for upstreams, targets, services and routes (the curl
 * commands of seeds/002 work unchanged) and switchyard's own endpoints, composed here: listen,
 * guard each request, route it to the feature modules, answer a change once the data plane has
 * it. Every change goes through `store.dispatch(…, 'admin')`, so it is validated exactly like a
 * key press and reaches the proxy before the next request.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { listen } from '../proxy/server.js';
import { defineApps } from './apps.js';
import { parseBody } from './body.js';
import { runCommand } from './commands.js';
import { defineConfig } from './config.js';
import { VERSION, type AdminContext, type AdminOptions } from './context.js';
import { afterDataPlane, defineDataPlane } from './dataplane.js';
import { defineDeployments } from './deployments.js';
import { defineEntities } from './entities/kinds.js';
import { Guard, refuseOpenBind } from './guard.js';
import { errorReply, type Reply } from './kong.js';
import { Observability } from './observability.js';
import { Router } from './router.js';

export type { AdminOptions } from './context.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const READONLY: Reply = { status: 403, body: { message: 'switchyard is read-only' } };

export class AdminServer {
  readonly server: http.Server;
  private readonly ctx: AdminContext;
  private readonly guard: Guard;
  private readonly router = new Router();
  private readonly observability: Observability;

  constructor(private readonly options: AdminOptions) {
    this.ctx = { ...options, nodeId: randomUUID() };
    this.guard = new Guard(options.token, options.host);
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.observability = new Observability(this.ctx, {
      server: this.server,
      address: () => this.address,
      hasToken: this.guard.hasToken,
    });
    this.server.on('connection', this.observability.countConnection);
    options.proxy.server.on('connection', this.observability.countConnection);
    this.mount();
  }

  private mount(): void {
    const { router, ctx } = this;
    this.observability.define(router);
    defineConfig(router, ctx.store);
    router.on('POST', '/commands', async ({ req }) => runCommand(ctx.store, await parseBody(req)));
    defineApps(router, ctx);
    defineDataPlane(router, ctx);
    defineDeployments(router, ctx);
    defineEntities(router, ctx);
  }

  listen(): Promise<AddressInfo> {
    refuseOpenBind(this.options.host, this.options.token);
    return listen(this.server, this.options.port, this.options.host, 'admin');
  }

  get address(): AddressInfo | null {
    return this.server.address() as AddressInfo | null;
  }

  async close(): Promise<void> {
    this.options.proxy.server.off('connection', this.observability.countConnection);
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Admin requests are short; idle keep-alive sockets would hold close() open.
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.observability.countRequest();
    let reply: Reply;
    try {
      reply =
        this.guard.refusal(req) ??
        (await this.router.dispatch(req, (method) =>
          MUTATING.has(method) && this.ctx.store.readonly ? READONLY : undefined,
        ));
    } catch (e) {
      reply = errorReply(e);
    }
    if (MUTATING.has(req.method ?? '') && reply.status < 400) reply = await afterDataPlane(this.ctx, reply);
    this.send(res, reply);
  }

  private send(res: http.ServerResponse, reply: Reply): void {
    if (res.headersSent) return;
    res.statusCode = reply.status;
    res.setHeader('server', `switchyard/${VERSION}`);
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    if (reply.status === 413) res.setHeader('connection', 'close');
    if (reply.status === 204) {
      res.end();
      return;
    }
    const text = reply.text ?? JSON.stringify(reply.body ?? {});
    if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('content-length', Buffer.byteLength(text));
    res.end(text);
  }
}
