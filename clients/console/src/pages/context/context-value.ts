const BLANK = ' \t\n\r';

function nextNonBlank(text: string, from: number): number {
  let i = from;
  while (i < text.length && BLANK.includes(text[i])) i++;
  return i;
}

/**
 * A stored value laid out with two spaces an indent, for reading. Only the
 * whitespace between tokens changes: numbers and strings keep the characters
 * stored (JSON.parse and stringify would turn 12345678901234567890 into
 * 12345678901234567000), and text that is not JSON comes back as it is.
 */
export function indentJson(raw: string): string {
  try {
    JSON.parse(raw);
  } catch {
    return raw;
  }
  let out = '';
  let depth = 0;
  const newline = () => `\n${'  '.repeat(depth)}`;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === '"') {
      // A string as stored, escapes and all.
      let end = i + 1;
      while (raw[end] !== '"') end += raw[end] === '\\' ? 2 : 1;
      out += raw.slice(i, end + 1);
      i = end;
    } else if (ch === '{' || ch === '[') {
      const next = nextNonBlank(raw, i + 1);
      if (raw[next] === (ch === '{' ? '}' : ']')) {
        // An empty object or array stays on one line.
        out += ch + raw[next];
        i = next;
      } else {
        depth++;
        out += ch + newline();
      }
    } else if (ch === '}' || ch === ']') {
      depth--;
      out += newline() + ch;
    } else if (ch === ',') {
      out += `,${newline()}`;
    } else if (ch === ':') {
      out += ': ';
    } else if (!BLANK.includes(ch)) {
      out += ch;
    }
  }
  return out;
}
