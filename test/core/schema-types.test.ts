/**
 * The schema DSL infers what a validated value holds, so commands read fields without casts:
 * checked by the typecheck (`npm test` runs tsc over the tests), and at run time for one case.
 */
import { expect, expectTypeOf, it } from 'vitest';
import { routeSchema, serviceSchema, targetSchema, upstreamSchema, validate } from '../../src/core/schema.js';

it('infers each field: defaults and required fields are there on create, everything is optional on update', () => {
  const created = validate(targetSchema, { target: '127.0.0.1:3001' }, 'create').value;
  expectTypeOf(created.target).toEqualTypeOf<string>();
  expectTypeOf(created.weight).toEqualTypeOf<number>();
  expectTypeOf(created.tags).toEqualTypeOf<string[] | null | undefined>();
  expect(created).toEqual({ target: '127.0.0.1:3001', weight: 100 });

  const patch = validate(targetSchema, { weight: '7' }, 'update').value;
  expectTypeOf(patch.weight).toEqualTypeOf<number | undefined>();
  expect(patch).toEqual({ weight: 7 });

  // oneOf strings are their union; nullable fields add null; filled records are whole.
  expectTypeOf(validate(serviceSchema, {}, 'create').value.protocol).toEqualTypeOf<'http' | 'https' | 'ws' | 'wss'>();
  expectTypeOf(validate(serviceSchema, {}, 'create').value.tls_verify).toEqualTypeOf<boolean | null>();
  expectTypeOf(validate(routeSchema, {}, 'create').value.protocols).toEqualTypeOf<('http' | 'https')[]>();
  expectTypeOf(validate(serviceSchema, {}, 'create').value.path).toEqualTypeOf<string | null>();
  expectTypeOf(validate(upstreamSchema, {}, 'create').value.healthchecks.active.healthy.interval).toEqualTypeOf<number>();
});
