import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { DomainError, domainError } from './errors';

/**
 * io-ts at the boundary, with messages a client can act on: the field, what it must be, and what
 * came instead ("credits: must be a decimal with at most 2 places, got \"1.234\"").
 */

const MAX_SHOWN = 60;
export const show = (u: unknown): string => {
  let s: string;
  try {
    s = u === undefined ? 'nothing' : JSON.stringify(u) ?? String(u);
  } catch {
    s = typeof u;
  }
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}…` : s;
};

/** A member of an intersection or union sits at an index of its own, which the input does not have. */
const isComposite = (type: t.Decoder<unknown, unknown> | undefined): boolean => {
  const tag = (type as { _tag?: string } | undefined)?._tag;
  return tag === 'IntersectionType' || tag === 'UnionType';
};

const pathOf = (context: t.Context): string =>
  context
    .filter((c, i) => c.key !== '' && !isComposite(context[i - 1]?.type))
    .map((c) => c.key)
    .join('.');

/** Shapes whose io-ts name would print the whole type (`Array<({ at: …, command: unknown } & …)>`). */
const SHAPES: Readonly<Record<string, string>> = {
  ArrayType: 'a list',
  InterfaceType: 'an object',
  PartialType: 'an object',
  IntersectionType: 'an object',
  DictionaryType: 'an object',
  TupleType: 'a list',
};
const MAX_NAME = 80;
const expectedOf = (type: t.Decoder<unknown, unknown> | undefined): string => {
  if (type === undefined) return 'valid';
  const shape = SHAPES[(type as { _tag?: string })._tag ?? ''];
  return type.name.length > MAX_NAME && shape !== undefined ? shape : type.name;
};

export const describeError = (e: t.ValidationError): string => {
  if (e.message !== undefined) return e.message;
  const path = pathOf(e.context);
  const field = path === '' ? 'value' : path;
  if (e.value === undefined) return `${field}: is required`;
  return `${field}: must be ${expectedOf(e.context[e.context.length - 1]?.type)}, got ${show(e.value)}`;
};

export const decode = <A>(codec: t.Decoder<unknown, A>, input: unknown): E.Either<DomainError, A> =>
  E.mapLeft((errors: t.Errors) => domainError('VALIDATION', errors.map(describeError)[0] ?? 'invalid input'))(
    codec.decode(input),
  );

const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === 'object' && u !== null && !Array.isArray(u);

/**
 * An object codec that rejects unknown fields (and so `__proto__`/`constructor` keys) instead of
 * stripping them, and names a missing field as missing.
 */
export const strictObject = <R extends t.Props, O extends t.Props>(name: string, required: R, optional: O) => {
  type A = t.TypeOf<t.TypeC<R>> & Partial<t.TypeOf<t.TypeC<O>>>;
  const known = new Set([...Object.keys(required), ...Object.keys(optional)]);
  return new t.Type<A, A, unknown>(
    name,
    (u): u is A => isPlainObject(u),
    (u, c) => {
      if (!isPlainObject(u)) return t.failure(u, c, `body: must be a JSON object, got ${show(u)}`);
      const prefix = pathOf(c);
      const at = (k: string) => (prefix === '' ? k : `${prefix}.${k}`);
      for (const k of Object.keys(u)) {
        if (!known.has(k)) return t.failure(u, c, `${at(k)}: unknown field`);
      }
      const out: Record<string, unknown> = {};
      for (const [k, codec] of [...Object.entries(required), ...Object.entries(optional)]) {
        const v = Object.prototype.hasOwnProperty.call(u, k) ? u[k] : undefined;
        if (v === undefined) {
          if (k in required) return t.failure(u, c, `${at(k)}: is required`);
          continue;
        }
        const r = codec.validate(v, [...c, { key: k, type: codec, actual: v }]);
        if (E.isLeft(r)) return r;
        out[k] = r.right;
      }
      return t.success(out as A);
    },
    t.identity,
  );
};
