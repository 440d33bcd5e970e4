/**
 * Checking an input against a schema: coercion of form-encoded strings, defaults on create,
 * unknown fields refused, Kong-only fields accepted at Kong's default; every error by its path.
 */
import type { FieldErrors } from '../errors.js';
import { type Field, type Schema, type Created, type Updated } from './field.js';
import { KONG_ONLY, KONG_ONLY_WHY } from './kong.js';

const MAX_STRING = 1024;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks `input` against `schema`, coercing the strings that form-encoded bodies carry
 * ("100" → 100, "true" → true, "a" → ["a"]). With `create`, defaults fill missing fields and
 * required fields are enforced; otherwise only the given fields are checked (a PATCH).
 */
export function validate<S extends Schema>(
  schema: S,
  input: unknown,
  mode: 'create',
  prefix?: string,
): { value: Created<S>; errors: FieldErrors };
export function validate<S extends Schema>(
  schema: S,
  input: unknown,
  mode: 'update',
  prefix?: string,
): { value: Updated<S>; errors: FieldErrors };
export function validate(
  schema: Schema,
  input: unknown,
  mode: 'create' | 'update',
  prefix?: string,
): { value: Record<string, unknown>; errors: FieldErrors };
export function validate(
  schema: Schema,
  input: unknown,
  mode: 'create' | 'update',
  prefix = '',
): { value: Record<string, unknown>; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const value: Record<string, unknown> = {};
  if (!isPlainObject(input)) {
    errors[prefix || '@entity'] = 'expected a record';
    return { value, errors };
  }
  const kong = KONG_ONLY.get(schema);
  for (const key of Object.keys(input)) {
    if (Object.prototype.hasOwnProperty.call(schema, key)) continue;
    if (kong && Object.prototype.hasOwnProperty.call(kong, key)) {
      // Kong's own field that switchyard does not implement: fine at Kong's default (what a
      // `deck dump` or a Kong export carries), refused otherwise rather than silently ignored.
      const v = input[key];
      if (
        v !== null &&
        JSON.stringify(v) !== JSON.stringify(kong[key]) &&
        !(Array.isArray(v) && v.length === 0) &&
        !(isPlainObject(v) && Object.keys(v).length === 0)
      ) {
        errors[prefix + key] =
          KONG_ONLY_WHY[key] ??
          `not supported by switchyard (only Kong's default ${JSON.stringify(kong[key])} is accepted)`;
      }
      continue;
    }
    errors[prefix + key] = 'unknown field';
  }
  for (const [key, field] of Object.entries(schema)) {
    const path = prefix + key;
    const has = Object.prototype.hasOwnProperty.call(input, key) && input[key] !== undefined;
    if (!has) {
      if (mode === 'create') {
        if ('required' in field && field.required) errors[path] = 'required field missing';
        else if ('default' in field && field.default !== undefined) value[key] = cloneDefault(field.default);
        else if (field.type === 'record' && field.filled)
          value[key] = validate(field.fields, {}, 'create').value;
      }
      continue;
    }
    const r = coerce(field, input[key], path, errors);
    if (r.ok) value[key] = r.value;
  }
  return { value, errors };
}

function cloneDefault(v: unknown): unknown {
  return Array.isArray(v) ? [...v] : v;
}

function coerce(
  field: Field,
  raw: unknown,
  path: string,
  errors: FieldErrors,
): { ok: boolean; value?: unknown } {
  const fail = (msg: string) => {
    errors[path] = msg;
    return { ok: false };
  };
  if (raw === null) {
    if ('nullable' in field && field.nullable) return { ok: true, value: null };
    if (field.type === 'array') return { ok: true, value: [] };
    return fail('required field missing');
  }
  switch (field.type) {
    case 'string': {
      if (typeof raw !== 'string') return fail('expected a string');
      if (raw.length > (field.maxLength ?? MAX_STRING))
        return fail(`length must be at most ${field.maxLength ?? MAX_STRING}`);
      // The field's own check first: it can say more than "expected one of" (a Kong protocol switchyard lacks).
      const msg = field.check?.(raw);
      if (msg) return fail(msg);
      if (field.oneOf && !field.oneOf.includes(raw))
        return fail(`expected one of: ${field.oneOf.join(', ')}`);
      return { ok: true, value: raw };
    }
    case 'integer': {
      let n: number;
      if (typeof raw === 'number') n = raw;
      else if (typeof raw === 'string' && /^-?\d+$/.test(raw.trim())) n = Number(raw.trim());
      else return fail('expected an integer');
      if (!Number.isInteger(n)) return fail('expected an integer');
      const [lo, hi] = field.between;
      if (field.oneOf) {
        if (!field.oneOf.includes(n)) return fail(`expected one of: ${field.oneOf.join(', ')}`);
      } else if (n < lo || n > hi) return fail(`value should be between ${lo} and ${hi}`);
      return { ok: true, value: n };
    }
    case 'number': {
      let n: number;
      if (typeof raw === 'number') n = raw;
      else if (typeof raw === 'string' && /^-?\d+(\.\d+)?$/.test(raw.trim())) n = Number(raw.trim());
      else return fail('expected a number');
      if (!Number.isFinite(n)) return fail('expected a number');
      const [lo, hi] = field.between;
      if (n < lo || n > hi) return fail(`value should be between ${lo} and ${hi}`);
      return { ok: true, value: n };
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      if (raw === 'true') return { ok: true, value: true };
      if (raw === 'false') return { ok: true, value: false };
      return fail('expected a boolean');
    }
    case 'array': {
      const arr = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : undefined;
      if (!arr) return fail('expected an array');
      if (arr.length > (field.maxItems ?? 1024))
        return fail(`length must be at most ${field.maxItems ?? 1024}`);
      if (arr.length < (field.minItems ?? 0)) return fail(`length must be at least ${field.minItems}`);
      const out: unknown[] = [];
      let ok = true;
      arr.forEach((el, i) => {
        const r = coerce(field.elements, el, `${path}[${i}]`, errors);
        if (r.ok) out.push(r.value);
        else ok = false;
      });
      return ok ? { ok: true, value: out } : { ok: false };
    }
    case 'map': {
      if (typeof raw !== 'object' || Array.isArray(raw)) return fail('expected a map of strings');
      const out: Record<string, string> = {};
      const entries = Object.entries(raw as Record<string, unknown>);
      if (entries.length > (field.maxItems ?? 256)) return fail(`at most ${field.maxItems ?? 256} entries`);
      let ok = true;
      for (const [k, v] of entries) {
        const bad =
          field.key(k) ??
          (typeof v !== 'string'
            ? 'expected a string'
            : v.length > MAX_STRING
              ? `length must be at most ${MAX_STRING}`
              : undefined);
        if (bad) {
          errors[`${path}.${k}`] = bad;
          ok = false;
        } else out[k] = v as string;
      }
      return ok ? { ok: true, value: out } : { ok: false };
    }
    case 'multimap': {
      if (typeof raw !== 'object' || Array.isArray(raw)) return fail('expected a map');
      const out: Record<string, string[]> = {};
      const entries = Object.entries(raw as Record<string, unknown>);
      if (entries.length > (field.maxItems ?? 256)) return fail(`at most ${field.maxItems ?? 256} entries`);
      let ok = true;
      for (const [k, v] of entries) {
        // A form body sends one value as a string: a list of one.
        const list = typeof v === 'string' ? [v] : v;
        let bad = field.key(k);
        if (!bad && (!Array.isArray(list) || list.length === 0))
          bad = 'expected a non-empty array of strings';
        if (!bad) {
          for (const x of list as unknown[]) {
            bad =
              typeof x !== 'string'
                ? 'expected a string'
                : x.length > MAX_STRING
                  ? `length must be at most ${MAX_STRING}`
                  : field.value(x);
            if (bad) break;
          }
        }
        if (bad) {
          errors[`${path}.${k}`] = bad;
          ok = false;
        } else out[k] = [...(list as string[])];
      }
      return ok ? { ok: true, value: out } : { ok: false };
    }
    case 'record': {
      const sub = validate(field.fields, raw, 'create', path + '.');
      const keys = Object.keys(sub.errors);
      if (keys.length) {
        Object.assign(errors, sub.errors);
        return { ok: false };
      }
      return { ok: true, value: sub.value };
    }
  }
}
