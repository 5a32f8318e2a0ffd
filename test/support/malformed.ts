import fc from 'fast-check';

/** Random JSON, random text and random bytes, and valid bodies with one field broken, dropped or added. */
export const malformed = (valid: Record<string, unknown>) => {
  const keys = Object.keys(valid);
  const json = fc.oneof(
    fc.jsonValue(),
    fc.tuple(fc.constantFrom(...keys), fc.jsonValue()).map(([k, v]) => ({ ...valid, [k]: v })),
    fc.constantFrom(...keys).map((k) => Object.fromEntries(Object.entries(valid).filter(([key]) => key !== k))),
    fc.tuple(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'prototype', 'profileId', 'type')), fc.jsonValue()).map(([k, v]) => JSON.parse(`{${JSON.stringify(k)}:${JSON.stringify(v)},${JSON.stringify(valid).slice(1)}`)),
    fc.integer({ min: 1, max: 200 }).map((depth) => ({ ...valid, [keys[0] as string]: JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) })),
  );
  return fc.oneof(
    { arbitrary: json.map((v) => JSON.stringify(v)), weight: 6 },
    { arbitrary: fc.string({ maxLength: 200 }), weight: 2 },
    { arbitrary: fc.uint8Array({ maxLength: 200 }), weight: 2 },
  );
};
