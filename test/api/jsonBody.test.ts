import * as E from 'fp-ts/Either';
import { parseJsonBody } from '../../src/api/jsonBody';

const parse = (text: string) => parseJsonBody(Buffer.from(text, 'utf8'));

describe('JSON bodies: a member name twice in one object is VALIDATION naming it', () => {
  test.each([
    ['at the top level', '{"credits": "1", "credits": "900"}', 'credits'],
    ['spelt differently but the same name', '{"a": 1, "\\u0061": 2}', 'a'],
    ['in a nested object', '{"x": {"k": 1, "y": [ {"k": 2, "k": 3} ]}}', 'k'],
    ['with whitespace before the colon', '{"k" \n: 1, "k"\t:2}', 'k'],
    ['a __proto__ twice', '{"__proto__": 1, "__proto__": 2}', '__proto__'],
  ])('%s', (_name, text, key) => {
    const parsed = parse(text);
    expect(parsed).toEqual(E.left({ code: 'VALIDATION', message: expect.stringMatching(new RegExp(`^${key}: appears more than once`)) }));
  });

  test.each([
    ['the same name in sibling objects', '[{"k": 1}, {"k": 2}]'],
    ['the same name at two levels', '{"k": {"k": {"k": 1}}}'],
    ['a value that looks like a name', '{"a": "\\"a\\": 1", "b": "a"}'],
    ['a string value followed by a colon in a string', '{"a": "x\\":", "b": ":"}'],
    ['names differing only in case', '{"k": 1, "K": 2}'],
    ['no object at all', '"k"'],
  ])('%s is accepted', (_name, text) => {
    expect(parse(text)).toEqual(E.right(JSON.parse(text)));
  });
});
