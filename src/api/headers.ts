import * as t from 'io-ts';

/**
 * A header as sent, every value apart (Node's `headersDistinct`), that must come once: two of them
 * would otherwise arrive joined, "a, b", as one value that is neither.
 */
export const onceHeader = <A>(name: string, codec: t.Type<A, string, unknown>) =>
  new t.Type<A, ReadonlyArray<string>, unknown>(
    codec.name,
    codec.is,
    (u, c) => {
      if (!Array.isArray(u)) return t.failure(u, c);
      if (u.length !== 1) return t.failure(u, c, `${name}: must be sent once, got ${u.length} headers`);
      return codec.validate(u[0], c);
    },
    (a) => [codec.encode(a)],
  );
