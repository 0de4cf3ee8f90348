/**
 * Parameters of a Query-protocol request (EC2, SNS): a flat form where lists are
 * `Name.1`, `Name.2`, … and structures nest with dots (`Filter.1.Value.2`).
 * Each service turns these errors into its own error codes.
 */
export class MissingQueryParameterError extends Error {
  override name = 'MissingQueryParameterError';
  constructor(readonly parameter: string) {
    super(`The request must contain the parameter ${parameter}`);
  }
}

export class InvalidQueryParameterError extends Error {
  override name = 'InvalidQueryParameterError';
  constructor(
    readonly parameter: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super(`Value (${value}) for parameter ${parameter} is invalid. ${expected}`);
  }
}

const POSITIVE_INDEX = /^[1-9][0-9]{0,5}$/;

export class QueryParams {
  constructor(
    private readonly values: ReadonlyMap<string, string>,
    /** Prefix of this view, for error messages (`Filter.1.`). */
    private readonly path = '',
  ) {}

  static fromSearchParams(params: URLSearchParams): QueryParams {
    const values = new Map<string, string>();
    for (const [key, value] of params) {
      // The first value wins, as on AWS when a parameter repeats.
      if (!values.has(key)) values.set(key, value);
    }
    return new QueryParams(values);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  string(name: string): string | undefined {
    return this.values.get(name);
  }

  required(name: string): string {
    const value = this.values.get(name);
    if (value === undefined || value === '') throw new MissingQueryParameterError(this.path + name);
    return value;
  }

  boolean(name: string): boolean | undefined {
    const value = this.values.get(name);
    if (value === undefined) return undefined;
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw new InvalidQueryParameterError(this.path + name, value, 'Expecting true or false.');
  }

  integer(name: string): number | undefined {
    const value = this.values.get(name);
    if (value === undefined) return undefined;
    if (!/^-?[0-9]{1,9}$/.test(value)) {
      throw new InvalidQueryParameterError(this.path + name, value, 'Expecting an integer.');
    }
    return Number(value);
  }

  /**
   * `prefix.N` and `prefix.N.*`, grouped by N in numeric order, in one pass over the
   * parameters. Every list reader goes through here, so a request's cost grows with its
   * size, never with its size squared (one pass per member was quadratic: 16,000
   * `Filter.N` took seconds).
   */
  private members(prefix: string): Array<{ index: number; value?: string; fields: Map<string, string> }> {
    const start = `${prefix}.`;
    const byIndex = new Map<number, { index: number; value?: string; fields: Map<string, string> }>();
    for (const [key, value] of this.values) {
      if (!key.startsWith(start)) continue;
      const rest = key.slice(start.length);
      const dot = rest.indexOf('.');
      const index = dot === -1 ? rest : rest.slice(0, dot);
      if (!POSITIVE_INDEX.test(index)) {
        throw new InvalidQueryParameterError(this.path + key, index, 'List indexes start at 1.');
      }
      const number = Number(index);
      let member = byIndex.get(number);
      if (member === undefined) {
        member = { index: number, fields: new Map() };
        byIndex.set(number, member);
      }
      if (dot === -1) member.value = value;
      else member.fields.set(rest.slice(dot + 1), value);
    }
    return [...byIndex.values()].sort((a, b) => a.index - b.index);
  }

  /** `prefix.1`, `prefix.2`, … as strings. */
  list(prefix: string): string[] {
    return this.members(prefix).flatMap((member) => (member.value === undefined ? [] : [member.value]));
  }

  /** `prefix.N.*` as one view per N, with the `prefix.N.` part removed. */
  structures(prefix: string): QueryParams[] {
    return this.members(prefix).map(
      (member) => new QueryParams(member.fields, `${this.path}${prefix}.${member.index}.`),
    );
  }

  /** `prefix.*` as a view with `prefix.` removed (a nested structure). */
  nested(prefix: string): QueryParams {
    const start = `${prefix}.`;
    const values = new Map<string, string>();
    for (const [key, value] of this.values) {
      if (key.startsWith(start)) values.set(key.slice(start.length), value);
    }
    return new QueryParams(values, `${this.path}${start}`);
  }
}
