/**
 * The language a schema is written in: a field's type, default, range and check, and the value
 * types TypeScript infers from a schema (`Created` after a create, `Updated` after a PATCH).
 */
export type Field =
  | {
      readonly type: 'string';
      readonly required?: boolean;
      readonly nullable?: boolean;
      readonly default?: string | null;
      readonly check?: (v: string) => string | undefined;
      readonly oneOf?: readonly string[];
      readonly maxLength?: number;
    }
  | {
      readonly type: 'integer';
      readonly required?: boolean;
      readonly nullable?: boolean;
      readonly default?: number | null;
      readonly between: readonly [number, number];
      readonly oneOf?: readonly number[];
    }
  | {
      readonly type: 'number';
      readonly required?: boolean;
      readonly nullable?: boolean;
      readonly default?: number | null;
      readonly between: readonly [number, number];
    }
  | { readonly type: 'boolean'; readonly nullable?: boolean; readonly default?: boolean | null }
  | {
      readonly type: 'array';
      readonly elements: Field;
      readonly default?: readonly unknown[] | null;
      readonly required?: boolean;
      readonly nullable?: boolean;
      readonly maxItems?: number;
      readonly minItems?: number;
    }
  | {
      readonly type: 'record';
      readonly fields: Schema;
      readonly nullable?: boolean;
      readonly required?: boolean;
      readonly default?: undefined;
      /** When absent on create, the record with all its defaults (Kong's nested `healthchecks`). */
      readonly filled?: boolean;
    }
  /** String keys to string values (an app's environment). */
  | {
      readonly type: 'map';
      readonly key: (k: string) => string | undefined;
      readonly default?: Readonly<Record<string, string>>;
      readonly maxItems?: number;
    }
  /** String keys to lists of strings (a route's `headers`: name → values). */
  | {
      readonly type: 'multimap';
      readonly key: (k: string) => string | undefined;
      readonly value: (v: string) => string | undefined;
      readonly nullable?: boolean;
      readonly default?: null;
      readonly maxItems?: number;
    };

export type Schema = Readonly<Record<string, Field>>;

type OrNull<F, T> = F extends { readonly nullable: true } ? T | null : T;

/** The value a field validates to, inferred from its definition (a `oneOf` string is its union). */
export type ValueOf<F> = F extends {
  readonly type: 'string';
  readonly oneOf: readonly (infer O extends string)[];
}
  ? OrNull<F, O>
  : F extends { readonly type: 'string' }
    ? OrNull<F, string>
    : F extends { readonly type: 'integer' | 'number' }
      ? OrNull<F, number>
      : F extends { readonly type: 'boolean' }
        ? OrNull<F, boolean>
        : F extends { readonly type: 'array'; readonly elements: infer E }
          ? OrNull<F, ValueOf<E>[]>
          : F extends { readonly type: 'record'; readonly fields: infer S extends Schema }
            ? OrNull<F, Created<S>>
            : F extends { readonly type: 'map' }
              ? Record<string, string>
              : F extends { readonly type: 'multimap' }
                ? OrNull<F, Record<string, string[]>>
                : never;

/** Fields present after a `create`: the required ones, those with a default, filled records. */
type Present<S extends Schema> = {
  [K in keyof S]: S[K] extends { readonly required: true } | { readonly filled: true }
    ? K
    : S[K] extends { readonly default: infer D }
      ? D extends undefined
        ? never
        : K
      : never;
}[keyof S];

/** What `validate(schema, input, 'create')` gives: defaults filled, required fields there. */
export type Created<S extends Schema> = { -readonly [K in Present<S>]: ValueOf<S[K]> } & {
  -readonly [K in Exclude<keyof S, Present<S>>]?: ValueOf<S[K]>;
};
/** What `validate(schema, input, 'update')` gives: only the fields that were sent. */
export type Updated<S extends Schema> = { -readonly [K in keyof S]?: ValueOf<S[K]> };
