type Unpdf = typeof import('unpdf');

export type SupportedContentType = 'text/plain' | 'text/markdown' | 'text/html' | 'application/pdf';

export const SUPPORTED_CONTENT_TYPES: readonly SupportedContentType[] = Object.freeze([
  'text/plain',
  'text/markdown',
  'text/html',
  'application/pdf',
]);

/** Other names in use for the supported types. */
const ALIASES: Readonly<Record<string, SupportedContentType>> = {
  'text/x-markdown': 'text/markdown',
  'application/xhtml+xml': 'text/html',
};

/**
 * The supported type a content type names ("text/markdown; charset=utf-8",
 * "TEXT/HTML", "text/x-markdown"), or undefined when it names none. Only the
 * type counts: a charset parameter is not read (text is decoded as UTF-8, or
 * UTF-16 when it starts with a byte-order mark).
 */
export function normaliseContentType(contentType: string): SupportedContentType | undefined {
  const essence = contentType.split(';')[0]!.trim().toLowerCase();
  if ((SUPPORTED_CONTENT_TYPES as readonly string[]).includes(essence)) return essence as SupportedContentType;
  return ALIASES[essence];
}

export interface ExtractedText {
  text: string;
  /** '' when none found. */
  title: string;
}

export type ExtractionFailure = 'empty' | 'not-utf8' | 'binary' | 'invalid-pdf' | 'encrypted-pdf' | 'no-text-in-pdf';

/** Thrown when a document's text cannot be extracted; the message says what the user can do about it. */
export class ExtractionError extends Error {
  override name = 'ExtractionError';
  constructor(
    readonly reason: ExtractionFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The plain text of a document, and its title:
 * - text/plain as it is (no title);
 * - text/markdown kept as Markdown: it reads fine as text and offsets into it
 *   stay meaningful to whoever has the file (title: the first level-1 heading,
 *   or a front-matter `title:`);
 * - text/html through Readability (on a linkedom DOM) to drop navigation and
 *   footers, then Turndown to Markdown; when Readability finds no article,
 *   the body's text (title: Readability's, else <title>);
 * - application/pdf through unpdf (pdf.js), pages joined with a blank line
 *   (title: the PDF's Title metadata).
 * Line endings become "\n"; the text is trimmed.
 */
export async function extractText(bytes: Uint8Array, contentType: SupportedContentType): Promise<ExtractedText> {
  let extracted: ExtractedText;
  switch (contentType) {
    case 'text/plain':
      extracted = { text: decodeText(bytes), title: '' };
      break;
    case 'text/markdown': {
      const text = decodeText(bytes);
      extracted = { text, title: markdownTitle(text) };
      break;
    }
    case 'text/html':
      extracted = await htmlText(decodeText(bytes));
      break;
    case 'application/pdf':
      extracted = await pdfText(bytes);
      break;
    default: {
      const unsupported: never = contentType;
      throw new RangeError(`unsupported content type ${String(unsupported)}`);
    }
  }
  const text = extracted.text.trim();
  if (text === '') throw new ExtractionError('empty', 'the document has no text');
  return { text, title: extracted.title.trim() };
}

function decodeText(bytes: Uint8Array): string {
  let text: string;
  try {
    if (bytes[0] === 0xff && bytes[1] === 0xfe) text = new TextDecoder('utf-16le', { fatal: true }).decode(bytes);
    else if (bytes[0] === 0xfe && bytes[1] === 0xff) text = new TextDecoder('utf-16be', { fatal: true }).decode(bytes);
    else text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw new ExtractionError(
      'not-utf8',
      'the document is not valid UTF-8 text; save it as UTF-8 and upload it again',
      {
        cause: err,
      },
    );
  }
  if (text.includes('\0'))
    throw new ExtractionError('binary', 'the document contains NUL characters: it looks like a binary file, not text');
  return text.replace(/\r\n?/g, '\n');
}

function markdownTitle(markdown: string): string {
  const frontMatter = /^---\n([\s\S]*?)\n---\n/.exec(markdown);
  const declared = frontMatter && /^title:\s*(.+)$/m.exec(frontMatter[1]!);
  if (declared) return declared[1]!.replace(/^(["'])(.*)\1$/, '$2');
  const heading = /^#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$|^([^\n]+)\n=+[ \t]*$/m.exec(markdown);
  return heading ? (heading[1] ?? heading[2]!) : '';
}

/**
 * The HTML and PDF libraries (linkedom, Readability, Turndown with its DOM,
 * pdf.js: tens of MiB) are loaded by the first document that needs them, not
 * by every process that imports this library.
 */
let htmlLibraries:
  | Promise<{
      parseHTML: typeof import('linkedom').parseHTML;
      Readability: typeof import('@mozilla/readability').Readability;
      turndown: import('turndown');
    }>
  | undefined;
const loadHtmlLibraries = () =>
  (htmlLibraries ??= Promise.all([import('linkedom'), import('@mozilla/readability'), import('turndown')]).then(
    ([linkedom, readability, turndownModule]) => {
      const turndown = new turndownModule.default({
        headingStyle: 'atx',
        codeBlockStyle: 'fenced',
        bulletListMarker: '-',
      });
      turndown.remove(['script', 'style', 'noscript', 'template']);
      return { parseHTML: linkedom.parseHTML, Readability: readability.Readability, turndown };
    },
  ));

async function htmlText(html: string): Promise<ExtractedText> {
  const { parseHTML, Readability, turndown } = await loadHtmlLibraries();
  const { document } = parseHTML(html);
  const pageTitle = document.title ?? '';
  const article = new Readability(document).parse();
  if (article?.content && article.textContent?.trim()) {
    return { text: collapseBlankLines(turndown.turndown(article.content)), title: article.title || pageTitle };
  }
  // Readability changed the first DOM; the fallback reads a fresh one.
  const { document: fresh } = parseHTML(html);
  for (const element of fresh.querySelectorAll('script, style, noscript, template')) element.remove();
  const body = fresh.body?.textContent ?? '';
  return { text: body.replace(/[ \t]+/g, ' ').replace(/ ?\n[\s]*/g, '\n'), title: pageTitle };
}

function collapseBlankLines(text: string): string {
  return text.replace(/\n{3,}/g, '\n\n');
}

async function pdfText(bytes: Uint8Array): Promise<ExtractedText> {
  const { extractText: extractPdfPages, getDocumentProxy, getMeta } = await import('unpdf');
  let pdf: Awaited<ReturnType<Unpdf['getDocumentProxy']>>;
  try {
    // A copy: pdf.js may take over (detach) the buffer it is given.
    pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
  } catch (err) {
    const name = (err as { name?: string })?.name;
    if (name === 'PasswordException')
      throw new ExtractionError('encrypted-pdf', 'the PDF is protected by a password; upload a copy without one', {
        cause: err,
      });
    throw new ExtractionError('invalid-pdf', 'the file is not a readable PDF', { cause: err });
  }
  try {
    const { text: pages } = await extractPdfPages(pdf, { mergePages: false });
    const text = pages
      .map((page) => page.trim())
      .filter((page) => page !== '')
      .join('\n\n');
    if (text === '')
      throw new ExtractionError(
        'no-text-in-pdf',
        'the PDF has no extractable text (scanned?); run it through OCR or upload its text instead',
      );
    return { text, title: await pdfTitle(pdf, getMeta) };
  } finally {
    // Frees pdf.js's parsed objects and worker-side state for this document.
    await pdf.loadingTask.destroy();
  }
}

/** The Title of the PDF's information dictionary; '' when it has none (or the dictionary cannot be read: the text is what matters). */
async function pdfTitle(pdf: Parameters<Unpdf['getMeta']>[0], getMeta: Unpdf['getMeta']): Promise<string> {
  try {
    const { info } = await getMeta(pdf);
    return typeof info?.Title === 'string' ? info.Title : '';
  } catch {
    return '';
  }
}
