import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { canonicalEvent, canonicalJson, canonicalPieces, chainAfter, chainHash, GENESIS_HASH } from '../../src/store/chain';

/** RFC 8785's own examples (sections 3.2.2, 3.2.3 and Appendix B), written out here. */
describe('RFC 8785 canonical JSON (the canonicalize package)', () => {
  test('3.2.2: whitespace, literals, numbers and string escapes', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], ' +
        '"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    ) as unknown;
    expect(canonicalize(input)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  test('3.2.3: properties sorted by their UTF-16 code units', () => {
    const input = JSON.parse(
      '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", ' +
        '"\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", "\\u00f6": "Latin Small Letter O With Diaeresis"}',
    ) as unknown;
    expect(canonicalize(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  const ieee = (hex: string): number => Buffer.from(hex, 'hex').readDoubleBE(0);
  test.each([
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ])('Appendix B: IEEE 754 %s is %s', (hex, text) => {
    expect(canonicalize(ieee(hex))).toBe(text);
  });

  test('Appendix B: NaN and Infinity have no canonical form', () => {
    expect(() => canonicalize(ieee('7fffffffffffffff'))).toThrow();
    expect(() => canonicalize(ieee('7ff0000000000000'))).toThrow();
  });
});

/** What a function answers, or that it threw. */
const outcome = (f: () => unknown): unknown => {
  try {
    return f();
  } catch {
    return 'threw';
  }
};

/**
 * canonicalJson writes plain JSON with JSON.stringify (of the value if its keys are in JCS order, else
 * of a copy with its keys inserted in that order), anything else with the library: every path held
 * to the RFC's examples, and to the library on any value.
 */
describe('canonicalJson: JSON.stringify of the value or of its copy in RFC 8785 key order, the library otherwise', () => {
  const examples: ReadonlyArray<readonly [string, string]> = [
    [
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    ],
    [
      '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", "\\u00f6": "Latin Small Letter O With Diaeresis"}',
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    ],
  ];
  test.each(examples)('RFC 8785 3.2.2 and 3.2.3: %s', (input, expected) => {
    expect(canonicalJson(JSON.parse(input))).toBe(expected);
    // Its own output parsed again: keys in order, but for "1", which JavaScript puts first (integer keys).
    expect(canonicalJson(JSON.parse(expected))).toBe(expected);
  });

  test('keys JavaScript does not keep in insertion order: array indices, __proto__', () => {
    const value = JSON.parse('{"b": 1, "10": 2, "9": 3, "__proto__": 4, "a": {"2": 5, "10": 6}}') as unknown;
    expect(canonicalJson(value)).toBe('{"10":2,"9":3,"__proto__":4,"a":{"10":6,"2":5},"b":1}');
    expect(canonicalJson(value)).toBe(canonicalize(value));
    expect(canonicalJson(JSON.parse('{"b": 1, "__proto__": {"d": 2, "c": 3}}'))).toBe('{"__proto__":{"c":3,"d":2},"b":1}');
  });

  test('numbers as Appendix B writes them, on both paths', () => {
    expect(canonicalJson({ a: 1e21, b: -0, c: 5e-324, d: 333333333.33333329 })).toBe('{"a":1e+21,"b":0,"c":5e-324,"d":333333333.3333333}');
    expect(canonicalJson({ d: 1e21, c: -0, b: 5e-324, a: 333333333.33333329 })).toBe('{"a":333333333.3333333,"b":5e-324,"c":0,"d":1e+21}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow();
    expect(() => canonicalJson([Number.POSITIVE_INFINITY])).toThrow();
  });

  test('the library\'s answer for any JSON value, and for the same value read back from its canonical JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const expected = canonicalize(value);
        expect(canonicalJson(value)).toBe(expected);
        expect(canonicalJson(JSON.parse(expected as string))).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  test('the library\'s answer (or a throw) for values that are not plain JSON: undefined, holes, dates, null prototypes, boxed values', () => {
    const odd = fc.anything({ withBoxedValues: true, withDate: true, withNullPrototype: true, withSparseArray: true, withMap: false, withSet: false, withBigInt: false, withTypedArray: false });
    fc.assert(
      fc.property(odd, (value) => {
        const expected = outcome(() => canonicalize(value) ?? 'threw');
        expect(outcome(() => canonicalJson(value))).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});

const json = fc.jsonValue() as fc.Arbitrary<unknown>;
const event = fc.record({
  globalPosition: fc.nat(),
  streamId: fc.string(),
  position: fc.nat(),
  eventId: fc.string(),
  type: fc.string(),
  data: fc.oneof(json, fc.record({ occurredAt: fc.string(), n: json })),
  metadata: json,
});

describe('the chain (billing-rules F1)', () => {
  test('covers F1 fields by name, with occurredAt taken from the data', () => {
    const text = canonicalEvent({ globalPosition: 3, streamId: 'profile/p', position: 1, eventId: 'e', type: 'T', data: { occurredAt: '2026-01-01T00:00:00.000Z', b: 1, a: '2' }, metadata: { schemaVersion: 1 } });
    expect(text).toBe(
      '{"data":{"a":"2","b":1,"occurredAt":"2026-01-01T00:00:00.000Z"},"eventId":"e","globalPosition":3,"metadata":{"schemaVersion":1},' +
        '"occurredAt":"2026-01-01T00:00:00.000Z","streamId":"profile/p","streamPosition":1,"type":"T"}',
    );
  });

  test('the three pieces a database fills in around the positions are the RFC 8785 JSON of the F1 record', () => {
    fc.assert(
      fc.property(event, (e) => {
        const [head, middle, tail] = canonicalPieces(e);
        const occurredAt = typeof e.data === 'object' && e.data !== null && typeof (e.data as { occurredAt?: unknown }).occurredAt === 'string' ? (e.data as { occurredAt: string }).occurredAt : null;
        const whole = canonicalize({ globalPosition: e.globalPosition, streamId: e.streamId, streamPosition: e.position, eventId: e.eventId, type: e.type, occurredAt, data: e.data, metadata: e.metadata });
        expect(`${head}${e.globalPosition}${middle}${e.position}${tail}`).toBe(whole);
        expect(canonicalEvent(e)).toBe(whole);
      }),
    );
  });

  test('SHA-256 over the previous hash (32 zero bytes first) and the canonical bytes', () => {
    fc.assert(
      fc.property(event, event, (a, b) => {
        const first = createHash('sha256').update(Buffer.concat([Buffer.alloc(32), Buffer.from(canonicalEvent(a), 'utf8')])).digest('hex');
        const second = createHash('sha256').update(Buffer.concat([Buffer.from(first, 'hex'), Buffer.from(canonicalEvent(b), 'utf8')])).digest('hex');
        expect(chainAfter(GENESIS_HASH, [a, b])).toEqual([first, second]);
        expect(chainHash(first, b)).toBe(second);
      }),
    );
  });

  test('events of any size and characters of every UTF-8 length', () => {
    const e = (text: string) => ({ globalPosition: 7, streamId: 's', position: 2, eventId: 'e', type: 'T', data: { text }, metadata: { schemaVersion: 1 } });
    const previous = 'ab'.repeat(32);
    for (const text of ['', 'a\u00e9\u20ac\ud83d\ude00', '\u20ac'.repeat(30_000), 'x'.repeat(200_000)]) {
      expect(chainHash(previous, e(text))).toBe(createHash('sha256').update(Buffer.from(previous, 'hex')).update(canonicalEvent(e(text)), 'utf8').digest('hex'));
    }
  });

  test('after a stored hash that is not 64 hex digits (one tampered with, which verify chains on from), the bytes up to its first non-hex digit', () => {
    const e = { globalPosition: 1, streamId: 's', position: 0, eventId: 'e', type: 'T', data: {}, metadata: {} };
    for (const previous of ['', 'ab', `${'0'.repeat(10)}zz${'0'.repeat(52)}`, 'f'.repeat(70)]) {
      expect(chainHash(previous, e)).toBe(createHash('sha256').update(Buffer.from(previous, 'hex')).update(canonicalEvent(e), 'utf8').digest('hex'));
    }
  });
});
