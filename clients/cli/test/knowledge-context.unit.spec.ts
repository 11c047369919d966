import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from 'commander';
import type { ContextEntry, SearchResponse } from '@aos/contracts';
import { UsageError } from '../src/cli-context';
import { readContextValue } from '../src/commands/context.command';
import { contentTypeOf, guessContentType, parseContentType } from '../src/commands/document-file';
import { looksLikeId } from '../src/commands/name-ref';
import { parseScore, parseTopK } from '../src/commands/knowledge.command';
import { parseVersionedId } from '../src/commands/option-parsers';
import { contextChangeTable, renderContextEntry } from '../src/output/context.view';
import { renderSearchResults } from '../src/output/knowledge.view';
import { formatBytes } from '../src/output/values';

describe('document content types', () => {
  it('guesses the four supported types from the extension, case-insensitively, and nothing else', () => {
    expect(guessContentType('a/b/notes.MD')).toBe('text/markdown');
    expect(guessContentType('notes.markdown')).toBe('text/markdown');
    expect(guessContentType('page.htm')).toBe('text/html');
    expect(guessContentType('page.HTML')).toBe('text/html');
    expect(guessContentType('paper.pdf')).toBe('application/pdf');
    expect(guessContentType('readme.txt')).toBe('text/plain');
    expect(guessContentType('report.docx')).toBeUndefined();
    expect(guessContentType('Makefile')).toBeUndefined();
    expect(guessContentType('archive.pdf.gz')).toBeUndefined();
  });

  it('takes --type as a MIME type (keeping parameters) or a short name, and refuses others', () => {
    expect(parseContentType('application/pdf')).toBe('application/pdf');
    expect(parseContentType(' Text/Plain; charset=utf-8 ')).toBe('Text/Plain; charset=utf-8');
    expect(parseContentType('md')).toBe('text/markdown');
    expect(parseContentType('HTML')).toBe('text/html');
    expect(() => parseContentType('application/msword')).toThrow(InvalidArgumentError);
    expect(() => parseContentType('text/csv; charset=utf-8')).toThrow(InvalidArgumentError);
    expect(() => parseContentType('')).toThrow(InvalidArgumentError);
  });

  it('prefers --type, and asks for it when the extension says nothing', () => {
    expect(contentTypeOf('x.md', 'text/plain')).toBe('text/plain');
    expect(contentTypeOf('x.md', undefined)).toBe('text/markdown');
    expect(() => contentTypeOf('x.rtf', undefined)).toThrow(UsageError);
  });
});

describe('value parsers', () => {
  it('reads id@version, version 0 meaning the current one', () => {
    expect(parseVersionedId('refunds')).toEqual({ id: 'refunds', version: 0 });
    expect(parseVersionedId('refunds@12')).toEqual({ id: 'refunds', version: 12 });
    expect(parseVersionedId('plan.v2:draft@3')).toEqual({ id: 'plan.v2:draft', version: 3 });
    for (const bad of ['refunds@0', 'refunds@', '@1', 'refunds@-1', 'refunds@1.5', 'refunds@99999999999999999999']) {
      expect(() => parseVersionedId(bad), bad).toThrow(InvalidArgumentError);
    }
  });

  it('reads a score from 0 to 1 and a top-k from 1 to 50', () => {
    expect(parseScore('0')).toBe(0);
    expect(parseScore('0.25')).toBe(0.25);
    expect(parseScore('1')).toBe(1);
    for (const bad of ['', ' ', '-0.1', '1.01', 'NaN', 'Infinity', 'high']) {
      expect(() => parseScore(bad), bad).toThrow(InvalidArgumentError);
    }
    expect(parseTopK('1')).toBe(1);
    expect(parseTopK('50')).toBe(50);
    for (const bad of ['0', '51', '2.5', 'ten']) expect(() => parseTopK(bad), bad).toThrow(InvalidArgumentError);
  });

  it('takes a UUID as an id and anything else as a name', () => {
    expect(looksLikeId('6f1c0c3e-9b1a-4c2d-8e3f-0a1b2c3d4e5f')).toBe(true);
    expect(looksLikeId('6F1C0C3E-9B1A-4C2D-8E3F-0A1B2C3D4E5F')).toBe(true);
    expect(looksLikeId('support-docs')).toBe(false);
    expect(looksLikeId('6f1c0c3e-9b1a-4c2d-8e3f-0a1b2c3d4e5')).toBe(false);
  });

  it('reads a context value inline, from @file or from standard input, and refuses what is not JSON', async () => {
    const inputs: Record<string, string> = { '-': ' {"from": "stdin"} ', 'v.json': '[1,\n2]' };
    const ctx = {
      readInput: async (path: string) => {
        const text = inputs[path];
        if (text === undefined) throw new UsageError(`cannot read ${path}: ENOENT`);
        return text;
      },
    };
    expect(await readContextValue(ctx, '"ready"')).toBe('"ready"');
    expect(await readContextValue(ctx, '42')).toBe('42');
    expect(await readContextValue(ctx, 'null')).toBe('null');
    expect(await readContextValue(ctx, '-')).toBe(' {"from": "stdin"} ');
    expect(await readContextValue(ctx, '@v.json')).toBe('[1,\n2]');
    await expect(readContextValue(ctx, 'ready')).rejects.toThrow(/^the value is not JSON/);
    await expect(readContextValue(ctx, '')).rejects.toThrow(/^the value is not JSON/);
    await expect(readContextValue(ctx, '@missing.json')).rejects.toThrow('cannot read missing.json: ENOENT');
    inputs['-'] = '{';
    await expect(readContextValue(ctx, '-')).rejects.toThrow(/^standard input is not JSON/);
  });
});

describe('views', () => {
  it('formats sizes in B, KiB and MiB', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.0 KiB');
    expect(formatBytes(512 * 1024)).toBe('512.0 KiB');
    expect(formatBytes(3 * 1024 * 1024 + 100_000)).toBe('3.1 MiB');
  });

  it('says when a search found nothing, with the mode and how many knowledge bases it searched', () => {
    const empty: SearchResponse = { results: [], mode: 'LEXICAL' as SearchResponse['mode'], knowledgeBaseIds: ['a'] };
    expect(renderSearchResults(empty, new Map())).toBe(
      'No results.\n0 result(s) from 1 knowledge base(s) searched, mode LEXICAL\n',
    );
  });

  it('shows a knowledge base by id when its name is unknown, and aligns results past rank 9', () => {
    const result = {
      citation: {
        knowledgeBaseId: 'kb-x',
        documentId: 'd',
        documentVersion: 1,
        documentTitle: 'T',
        chunkIndex: 0,
        startOffset: 0,
        endOffset: 5,
      },
      score: 0.5,
      snippet: 'hello',
      snippetStartOffset: 0,
      snippetEndOffset: 5,
      lexicalRank: 10,
      denseRank: 0,
    };
    const response = {
      results: Array.from({ length: 10 }, () => result),
      mode: 'LEXICAL',
      knowledgeBaseIds: ['kb-x'],
    } as unknown as SearchResponse;
    const lines = renderSearchResults(response, new Map()).split('\n');
    expect(lines[0]).toBe('1. 0.500  T  (d@1 in kb-x)');
    expect(lines[36]).toBe('10. 0.500  T  (d@1 in kb-x)');
    expect(lines[37]).toBe('    chunk 0, characters 0-5; snippet 0-5; lexical #10');
    expect(lines[38]).toBe('    hello');
  });

  const entry: ContextEntry = {
    scope: 'tenant',
    key: 'plan',
    valueJson: '{"steps":\n ["a", "b"]}',
    version: 2,
    deleted: false,
    updatedBy: 'agent:a1',
    logPosition: 9,
  };

  it('prints an entry with its value indented, and a deleted one without', () => {
    expect(renderContextEntry(entry)).toMatch(/\n\n\{\n {2}"steps": \[\n {4}"a",\n {4}"b"\n {2}\]\n\}\n$/);
    const deleted = renderContextEntry({ ...entry, deleted: true, valueJson: '', version: 3 });
    expect(deleted).toMatch(/^DELETED +yes$/m);
    expect(deleted.endsWith('LOG POSITION  9\n')).toBe(true);
  });

  it('prints a watched change on one line, the value compacted', () => {
    const table = contextChangeTable();
    expect(table.row({ entry })).toMatch(/^ +9 +PUT +plan +2 +agent:a1 +\{"steps":\["a","b"\]\}\n$/);
    expect(table.row({ entry: { ...entry, deleted: true, valueJson: '' } })).toMatch(
      /^ +9 +DELETE +plan +2 +agent:a1\n$/,
    );
  });
});
