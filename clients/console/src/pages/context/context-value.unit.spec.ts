import { describe, expect, it } from 'vitest';
import { indentJson } from './context-value';

describe('indentJson', () => {
  it('lays an object out two spaces an indent, empty ones on one line', () => {
    expect(indentJson('{"a":1,"b":[true,null],"c":{},"d":[]}')).toBe(
      ['{', '  "a": 1,', '  "b": [', '    true,', '    null', '  ],', '  "c": {},', '  "d": []', '}'].join('\n'),
    );
  });

  it('keeps numbers and strings exactly as stored', () => {
    expect(indentJson('[12345678901234567890, 1.50e3]')).toBe('[\n  12345678901234567890,\n  1.50e3\n]');
    expect(indentJson('{"q": "a \\"b\\", {c: [d]}\\\\"}')).toBe('{\n  "q": "a \\"b\\", {c: [d]}\\\\"\n}');
    expect(indentJson('"  spaced  "')).toBe('"  spaced  "');
  });

  it('returns text that is not JSON as it is', () => {
    expect(indentJson('{not json')).toBe('{not json');
    expect(indentJson('')).toBe('');
  });
});
