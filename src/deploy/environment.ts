/**
 * A module's environment from the descriptor: the properties of what it requires (grouped when
 * the requirement says so) and its own properties, `${…}` resolved and `~{group/prop}` references
 * followed to what the required modules and resources provide.
 */
import type { PendingModule, ReadContext } from './context.js';
import { isObj, type Obj } from './descriptor.js';
import { Bad, REFERENCE, resolveAt, substitute } from './placeholders.js';

export function moduleEnvironment(
  ctx: ReadContext,
  { at, m, name, lookup }: PendingModule,
): Record<string, unknown> {
  const { problems, groups, unusedRequires } = ctx;
  const resolve = (where: string, v: unknown) => resolveAt(problems, where, v, lookup);
  // requires: the groups it may reference with ~{group/prop}; their own properties join the environment.
  const env: Record<string, unknown> = {};
  const required = new Map<string, Obj>();
  if (m.requires !== undefined && !Array.isArray(m.requires))
    problems[`${at}.requires`] = 'expected an array';
  ((Array.isArray(m.requires) ? m.requires : []) as unknown[]).forEach((r, j) => {
    const rat = `${at}.requires[${j}]`;
    if (!isObj(r) || typeof r.name !== 'string')
      return void (problems[`${rat}.name`] = 'each required dependency needs a name');
    const group = groups.get(r.name);
    if (!group)
      return void (problems[`${rat}.name`] = `'${r.name}' is provided by no module and named by no resource`);
    required.set(r.name, group.props);
    if (!isObj(r.properties)) {
      if (Object.keys(group.props).length === 0) unusedRequires.push(`${name} → ${r.name}`);
      return;
    }
    const own = resolve(`${rat}.properties`, r.properties);
    let props: unknown;
    try {
      props = substitute(own, REFERENCE, (ref) => {
        if (!(ref in group.props))
          throw new Bad(`~{${ref}}: ${group.from} provides no property '${ref}' in '${r.name}'`);
        return group.props[ref];
      });
    } catch (e) {
      if (!(e instanceof Bad)) throw e;
      problems[`${rat}.properties`] = e.message;
      return;
    }
    const grouped = isObj(r.parameters) && typeof r.parameters.group === 'string' ? r.parameters.group : null;
    if (grouped) env[grouped] = [...((env[grouped] as unknown[]) ?? []), props];
    else Object.assign(env, props as Obj);
  });
  if (m.properties !== undefined && !isObj(m.properties)) problems[`${at}.properties`] = 'expected a record';
  const props = resolve(`${at}.properties`, isObj(m.properties) ? m.properties : {});
  try {
    Object.assign(
      env,
      substitute(props, REFERENCE, (ref) => {
        const [g, p] = ref.includes('/')
          ? [ref.slice(0, ref.indexOf('/')), ref.slice(ref.indexOf('/') + 1)]
          : [undefined, ref];
        if (g === undefined) throw new Bad(`~{${ref}}: name the group, as in ~{group/${ref}}`);
        const group = required.get(g);
        if (!group)
          throw new Bad(`~{${ref}}: module '${name}' does not require '${g}' (add it under requires)`);
        if (!(p in group)) throw new Bad(`~{${ref}}: '${g}' has no property '${p}'`);
        return group[p];
      }) as Obj,
    );
  } catch (e) {
    if (!(e instanceof Bad)) throw e;
    problems[`${at}.properties`] = e.message;
  }
  return env;
}
