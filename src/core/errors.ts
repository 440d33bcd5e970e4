/**
 * The one error type of the core. Every surface maps it to its own shape
 * (Kong JSON in the admin API, a line on stderr in the CLI, a flash in the UI).
 */
export type ErrorCode =
  | 'schema violation'
  | 'unique constraint violation'
  | 'foreign key violation'
  /** A reference by a unique field (a route's `service: {name}`) that names nothing. */
  | 'foreign keys unresolved'
  | 'not found'
  | 'invalid'
  /** A change the operator must confirm (the UI asks; the CLI wants --force): it would stop a service that serves. */
  | 'confirmation required';

/** Field path → reason, Kong style: `{ weight: 'value should be between 0 and 65535' }`. */
export type FieldErrors = Record<string, string>;

export class SwitchyardError extends Error {
  readonly code: ErrorCode;
  readonly fields: FieldErrors;
  /** The errors of a whole file (`document`): its fields are paths into the file, kept flat. */
  readonly document: boolean;

  constructor(code: ErrorCode, message: string, fields: FieldErrors = {}, document = false) {
    super(message);
    this.name = 'SwitchyardError';
    this.code = code;
    this.fields = fields;
    this.document = document;
  }

  /** `schema violation (weight: value should be between 0 and 65535)` as Kong words it. */
  static schema(fields: FieldErrors): SwitchyardError {
    // Kong's wording: keys sorted, '@entity' first, "N schema violations" when more than one.
    const keys = Object.keys(fields).sort((a, b) => (a.startsWith('@') ? -1 : b.startsWith('@') ? 1 : a.localeCompare(b)));
    const parts = keys.map((k) => (k === '@entity' ? fields[k] : `${k}: ${fields[k]}`));
    const head = keys.length > 1 ? `${keys.length} schema violations` : 'schema violation';
    return new SwitchyardError('schema violation', `${head} (${parts.join('; ')})`, fields);
  }

  /**
   * Everything wrong with a whole document at once (a declarative file), one line per field in
   * the order found: `kong.yml: 2 errors:\n  services[0].host: …\n  upstreams[1].name: …`.
   */
  static document(source: string, fields: FieldErrors, hint?: string): SwitchyardError {
    const lines = Object.entries(fields).map(([k, v]) => (k === '@entity' ? `  ${v}` : `  ${k}: ${v}`));
    const n = lines.length;
    const message = `${source}: ${n} error${n === 1 ? '' : 's'}:\n${lines.join('\n')}${hint ? `\n${hint}` : ''}`;
    return new SwitchyardError('schema violation', message, fields, true);
  }

  static notFound(entity: string, key: string): SwitchyardError {
    return new SwitchyardError('not found', `${entity} '${key}' not found`);
  }

  static unique(entity: string, field: string, value: string): SwitchyardError {
    return new SwitchyardError(
      'unique constraint violation',
      `UNIQUE violation detected on '{${field}="${value}"}' (${entity} ${field} already exists)`,
      { [field]: value },
    );
  }
}

export function isSwitchyardError(e: unknown): e is SwitchyardError {
  return e instanceof SwitchyardError;
}
