// The limits AddDocument enforces (proto/aos/v1/knowledge.proto); checked here
// first so a person learns before uploading, and the server checks anyway.
export const MAX_CONTENT_BYTES = 512 * 1024;

const TYPE_BY_EXTENSION: Record<string, string> = {
  md: 'text/markdown',
  markdown: 'text/markdown',
  txt: 'text/plain',
  text: 'text/plain',
  html: 'text/html',
  htm: 'text/html',
  pdf: 'application/pdf',
};
const ACCEPTED_TYPES = new Set(Object.values(TYPE_BY_EXTENSION));

export const ACCEPT = Object.keys(TYPE_BY_EXTENSION)
  .map((e) => `.${e}`)
  .join(',');

/** The content_type AddDocument accepts for a picked file, or an error naming the field. */
export function contentTypeOf(file: File): { contentType: string } | { error: string } {
  const extension = file.name.split('.').pop()?.toLowerCase() ?? '';
  // Browsers leave .md files untyped, so the extension decides before the browser's guess.
  const contentType = TYPE_BY_EXTENSION[extension] ?? file.type;
  if (ACCEPTED_TYPES.has(contentType)) return { contentType };
  return {
    error: `content_type: ${file.name} is not text/plain, text/markdown, text/html or application/pdf (.md, .txt, .html, .pdf).`,
  };
}

export function sizeError(file: File): string | null {
  if (file.size === 0) return `content: ${file.name} is empty.`;
  if (file.size > MAX_CONTENT_BYTES)
    return `content: ${file.name} is ${Math.ceil(file.size / 1024)} KiB; at most 512 KiB.`;
  return null;
}
