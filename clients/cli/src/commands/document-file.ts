import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { UsageError } from '../cli-context';
import { formatBytes } from '../output/values';

/**
 * The document file of `aos kb add`: its content type (given or guessed from
 * the extension) and its bytes, refused before any call when AddDocument
 * would refuse them for their size.
 */

/** AddDocumentRequest.content: at most 512 KiB (knowledge.proto). */
export const MAX_DOCUMENT_BYTES = 512 * 1024;

export const DOCUMENT_CONTENT_TYPES = ['text/plain', 'text/markdown', 'text/html', 'application/pdf'] as const;
export type DocumentContentType = (typeof DOCUMENT_CONTENT_TYPES)[number];

/** File extensions, also accepted as short names by `--type`. */
const BY_EXTENSION: Record<string, DocumentContentType> = {
  txt: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
  htm: 'text/html',
  html: 'text/html',
  pdf: 'application/pdf',
};

const TYPE_HINT = `expected one of ${DOCUMENT_CONTENT_TYPES.join(', ')} (or md, html, pdf, txt).`;

/** `--type`: a supported MIME type (parameters such as "; charset=utf-8" kept) or its short name. */
export function parseContentType(value: string): string {
  const trimmed = value.trim();
  const short = BY_EXTENSION[trimmed.toLowerCase()];
  if (short) return short;
  const base = (trimmed.split(';')[0] as string).trim().toLowerCase();
  if (!DOCUMENT_CONTENT_TYPES.includes(base as DocumentContentType)) throw new InvalidArgumentError(TYPE_HINT);
  return trimmed;
}

/** The content type a file's extension implies (.md, .markdown, .html, .htm, .pdf, .txt); undefined for any other. */
export function guessContentType(path: string): DocumentContentType | undefined {
  return BY_EXTENSION[extname(path).slice(1).toLowerCase()];
}

/** The file's content type: `--type` when given, else the one its extension implies, else a UsageError. */
export function contentTypeOf(path: string, given: string | undefined): string {
  if (given !== undefined) return given;
  const guessed = guessContentType(path);
  if (guessed) return guessed;
  throw new UsageError(
    `cannot tell the content type of ${path} from its extension: pass --type (${DOCUMENT_CONTENT_TYPES.join(', ')})`,
  );
}

/** The file's bytes; a UsageError when it cannot be read, is empty or is larger than MAX_DOCUMENT_BYTES. */
export async function readDocumentFile(absolutePath: string, shownPath: string): Promise<Uint8Array> {
  let size: number;
  try {
    const info = await stat(absolutePath);
    if (!info.isFile()) throw new UsageError(`${shownPath} is not a file`);
    size = info.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${shownPath}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  // Checked before reading, so a large file is neither read nor sent.
  if (size > MAX_DOCUMENT_BYTES) throw tooLarge(shownPath, size);
  if (size === 0) throw new UsageError(`${shownPath} is empty`);
  const bytes = await readFile(absolutePath);
  // The file may have grown since stat.
  if (bytes.length > MAX_DOCUMENT_BYTES) throw tooLarge(shownPath, bytes.length);
  return bytes;
}

function tooLarge(shownPath: string, size: number): UsageError {
  return new UsageError(
    `${shownPath} is ${formatBytes(size)} (${size} bytes); a document may be at most 512 KiB ` +
      `(${MAX_DOCUMENT_BYTES} bytes): split it into several documents`,
  );
}
