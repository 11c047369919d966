import { PDFDocument, StandardFonts } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { ExtractionError, SUPPORTED_CONTENT_TYPES, extractText, normaliseContentType } from '../src';

const utf8 = (text: string) => new TextEncoder().encode(text);

/** A PDF made here (nothing binary is committed): one sentence a line, pages as given, an optional empty page. */
async function pdfOf(pages: string[][], options: { title?: string; blankPage?: boolean } = {}): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  if (options.title) doc.setTitle(options.title);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const lines of pages) {
    const page = doc.addPage([595, 842]);
    lines.forEach((line, i) => page.drawText(line, { x: 50, y: 780 - i * 18, size: 11, font }));
  }
  if (options.blankPage) doc.addPage();
  return doc.save();
}

async function failure(promise: Promise<unknown>): Promise<ExtractionError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ExtractionError);
  return err as ExtractionError;
}

describe('normaliseContentType', () => {
  it('reads the type and ignores case and parameters', () => {
    expect(normaliseContentType('text/markdown; charset=utf-8')).toBe('text/markdown');
    expect(normaliseContentType('TEXT/HTML')).toBe('text/html');
    expect(normaliseContentType(' application/pdf ')).toBe('application/pdf');
    expect(normaliseContentType('text/x-markdown')).toBe('text/markdown');
    for (const type of SUPPORTED_CONTENT_TYPES) expect(normaliseContentType(type)).toBe(type);
  });

  it('returns undefined for what it cannot extract', () => {
    expect(normaliseContentType('image/png')).toBeUndefined();
    expect(
      normaliseContentType('application/vnd.openxmlformats-officedocument.wordprocessingml.document'),
    ).toBeUndefined();
    expect(normaliseContentType('')).toBeUndefined();
  });
});

describe('extractText', () => {
  it('reads the text of every page of a PDF, pages joined by a blank line, and its title', async () => {
    const bytes = await pdfOf(
      [
        ['Sea otters hold hands while they sleep.', 'Their fur is the densest of any animal.'],
        ['Kelp forests shelter young fish from predators.'],
      ],
      { title: 'Marine notes', blankPage: true },
    );
    const { text, title } = await extractText(bytes, 'application/pdf');
    expect(title).toBe('Marine notes');
    expect(text).toContain('Sea otters hold hands while they sleep.');
    expect(text).toContain('Their fur is the densest of any animal.');
    expect(text).toMatch(/animal\.\n\nKelp forests shelter young fish from predators\.$/);
    // The caller's bytes are left usable (pdf.js is given a copy).
    expect((await extractText(bytes, 'application/pdf')).text).toBe(text);
  });

  it('says a PDF without text may be a scan, and a broken file is not a PDF', async () => {
    const scanned = await failure(extractText(await pdfOf([], { blankPage: true }), 'application/pdf'));
    expect(scanned.reason).toBe('no-text-in-pdf');
    expect(scanned.message).toMatch(/no extractable text \(scanned\?\)/);
    const broken = await failure(extractText(utf8('%PDF-1.7 this is not really a pdf'), 'application/pdf'));
    expect(broken.reason).toBe('invalid-pdf');
  });

  it('keeps the article of an HTML page as Markdown and drops navigation, header and footer boilerplate', async () => {
    const html = `<!doctype html><html><head><title>Otters | Wildlife Weekly</title></head><body>
      <nav><ul><li><a href="/">Home</a></li><li><a href="/shop">Shop our merchandise</a></li><li><a href="/login">Sign in</a></li></ul></nav>
      <header><div class="banner">Subscribe to Wildlife Weekly for ten percent off</div></header>
      <main><article>
        <h1>Why sea otters hold hands</h1>
        <p>Sea otters hold hands while they sleep so that they do not drift apart on the current. Groups of resting otters are called rafts, and a raft can number in the hundreds along the Pacific coast.</p>
        <p>Their fur is the densest of any animal, with up to a million hairs per square inch, which keeps them warm in cold water without a layer of blubber.</p>
        <h2>Tools</h2>
        <p>Otters use rocks as tools to crack open clams and sea urchins, and many keep a favourite rock in a pouch of loose skin under the forearm.</p>
      </article></main>
      <footer><p>Copyright 2024 Wildlife Weekly. Privacy policy. Cookie settings.</p></footer>
      <script>window.tracker = "analytics-snippet";</script>
    </body></html>`;
    const { text, title } = await extractText(utf8(html), 'text/html');
    expect(title).toBe('Otters | Wildlife Weekly');
    expect(text).toContain('Sea otters hold hands while they sleep so that they do not drift apart on the current.');
    expect(text).toContain('Otters use rocks as tools to crack open clams and sea urchins');
    expect(text).toMatch(/^#+ Tools$/m);
    for (const boilerplate of [
      'Shop our merchandise',
      'Sign in',
      'Subscribe to Wildlife Weekly',
      'Cookie settings',
      'analytics-snippet',
    ])
      expect(text).not.toContain(boilerplate);
  });

  it('falls back to the body text when Readability finds no article', async () => {
    // Readability gives up on a page whose only content is an <aside>.
    const page = await extractText(
      utf8(
        '<html><head><title>Hours</title></head><body><aside>Open <b>nine</b> to five.</aside><script>track()</script></body></html>',
      ),
      'text/html',
    );
    expect(page).toEqual({ text: 'Open nine to five.', title: 'Hours' });
    const empty = await failure(extractText(utf8('<html><body></body></html>'), 'text/html'));
    expect(empty.reason).toBe('empty');
  });

  it('keeps Markdown as Markdown and takes its first level-1 heading as the title', async () => {
    const markdown =
      '# Runbook\r\n\r\n## Restarting\r\n\r\nRun `systemctl restart aos` and **wait** for the health check.\r\n';
    const { text, title } = await extractText(utf8(markdown), 'text/markdown');
    expect(title).toBe('Runbook');
    expect(text).toBe('# Runbook\n\n## Restarting\n\nRun `systemctl restart aos` and **wait** for the health check.');
    const frontMatter = await extractText(utf8('---\ntitle: "Ops guide"\n---\nSome text.'), 'text/markdown');
    expect(frontMatter.title).toBe('Ops guide');
    expect((await extractText(utf8('Setext title\n===\n\nBody.'), 'text/markdown')).title).toBe('Setext title');
    expect((await extractText(utf8('No heading here.'), 'text/markdown')).title).toBe('');
  });

  it('reads plain text as it is, and UTF-16 with a byte-order mark', async () => {
    expect(await extractText(utf8('  Plain words.\n'), 'text/plain')).toEqual({ text: 'Plain words.', title: '' });
    const text = 'Hé 😀';
    const utf16le = new Uint8Array(2 + text.length * 2);
    utf16le.set([0xff, 0xfe]);
    for (let i = 0; i < text.length; i++) utf16le.set([text.charCodeAt(i) & 0xff, text.charCodeAt(i) >> 8], 2 + i * 2);
    expect((await extractText(utf16le, 'text/plain')).text).toBe(text);
  });

  it('refuses text that is not UTF-8, binary files, and empty documents, saying why', async () => {
    const latin1 = await failure(extractText(new Uint8Array([0x63, 0x61, 0x66, 0xe9]), 'text/plain'));
    expect(latin1.reason).toBe('not-utf8');
    expect(latin1.message).toMatch(/not valid UTF-8/);
    const binary = await failure(extractText(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00]), 'text/markdown'));
    expect(binary.reason).toBe('binary');
    const empty = await failure(extractText(utf8(' \n\n '), 'text/plain'));
    expect(empty.reason).toBe('empty');
  });
});
