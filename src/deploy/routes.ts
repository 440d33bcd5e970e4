/**
 * A module's routes: given (`routes`, `parameters.routes`), or hosts × domains, or (an MTA
 * module) its default route `${default-host}.${default-domain}`; none with `no-route`. Each is
 * parsed as a Kf route and belongs to one module. And the temporary route a new version answers
 * on while a deployment is pending.
 */
import { parseRoute, routeText } from '../core/apps.js';
import type { SwitchyardError } from '../core/errors.js';
import type { Param, PendingModule, ReadContext } from './context.js';
import { isObj } from './descriptor.js';
import { text } from './placeholders.js';

export function moduleRoutes(
  ctx: ReadContext,
  { at, m, name, lookup }: PendingModule,
  P: Param,
  targets: readonly string[] | undefined,
): string[] {
  const { problems, notes, mta, seenRoutes } = ctx;
  const given: string[] = [...(Array.isArray(m.routes) ? (m.routes as unknown[]) : []).map((r) => text(r))];
  const pr = P('routes');
  if (pr !== undefined) {
    if (!Array.isArray(pr))
      problems[`${at}.parameters.routes`] = 'expected an array of { route: HOST.DOMAIN[/PATH] }';
    else
      pr.forEach((r, j) =>
        isObj(r) && typeof r.route === 'string'
          ? given.push(r.route)
          : typeof r === 'string'
            ? given.push(r)
            : (problems[`${at}.parameters.routes[${j}]`] = 'expected { route: HOST.DOMAIN[/PATH] }'),
      );
  }
  const list = (one: string, many: string) => {
    const v = P(many) ?? (P(one) === undefined ? undefined : [P(one)]);
    return Array.isArray(v) ? v.map(text) : undefined;
  };
  const hosts = list('host', 'hosts');
  const domains = list('domain', 'domains');
  if (!given.length && (hosts || domains)) {
    for (const h of hosts ?? [text(lookup('host'))])
      for (const d of domains ?? [text(lookup('domain'))]) given.push(h ? `${h}.${d}` : d);
  }
  if (!given.length && mta && P('no-route') !== true && targets === undefined) {
    try {
      given.push(text(lookup('default-uri')));
    } catch (e) {
      problems[`${at}.parameters`] = (e as Error).message;
    }
  }
  const routes: string[] = [];
  if (P('no-route') !== true) {
    given.forEach((r, j) => {
      const spec = r.replace(/^https?:\/\//, '');
      if (spec.startsWith('*.')) return notes.add('wildcard routes not served locally', spec);
      try {
        const t = routeText(parseRoute(spec));
        const owner = seenRoutes.get(t);
        if (owner !== undefined)
          problems[`${at}.routes[${j}]`] = `route ${t} is already a route of module '${owner}'`;
        seenRoutes.set(t, name);
        routes.push(t);
      } catch (e) {
        problems[`${at}.routes[${j}]`] = (e as SwitchyardError).fields?.route ?? (e as Error).message;
      }
    });
  }
  return routes;
}

/** `shop.example.com/api` → `shop-idle.example.com/api`: where the new version answers while pending. */
export function tempRoute(route: string): string {
  const r = parseRoute(route);
  const [first, ...rest] = r.host.split('.');
  return `${first}-idle.${rest.join('.')}${r.path ?? ''}`;
}
