import type { Document, KnowledgeBase, SearchResponse, SearchResult } from '@aos/contracts';
import { renderKeyValues, renderTable, type Column } from './table';
import { formatBytes, formatEnum, formatLabels, formatTimestamp } from './values';

const KNOWLEDGE_BASE_COLUMNS: Column<KnowledgeBase>[] = [
  { header: 'ID', value: (kb) => kb.id },
  { header: 'NAME', value: (kb) => kb.name, maxWidth: 40 },
  { header: 'DOCS', value: (kb) => String(kb.documentCount), align: 'right' },
  { header: 'CHUNKS', value: (kb) => String(kb.chunkCount), align: 'right' },
  { header: 'DESCRIPTION', value: (kb) => kb.description, maxWidth: 50 },
  { header: 'UPDATED', value: (kb) => formatTimestamp(kb.updateTime) },
];

export function renderKnowledgeBaseTable(knowledgeBases: readonly KnowledgeBase[]): string {
  return knowledgeBases.length === 0
    ? 'No knowledge bases found.\n'
    : renderTable(KNOWLEDGE_BASE_COLUMNS, knowledgeBases);
}

export function renderKnowledgeBase(kb: KnowledgeBase): string {
  return renderKeyValues([
    ['ID', kb.id],
    ['NAME', kb.name],
    ['DESCRIPTION', kb.description],
    ['LABELS', formatLabels(kb.labels)],
    ['DOCUMENTS', String(kb.documentCount)],
    ['CHUNKS', String(kb.chunkCount)],
    ['REVISION', String(kb.revision)],
    ['TENANT', kb.tenantId],
    ['CREATED BY', kb.createdBy],
    ['CREATED', formatTimestamp(kb.createTime)],
    ['UPDATED', formatTimestamp(kb.updateTime)],
    ['LOG POSITION', String(kb.logPosition)],
  ]);
}

const DOCUMENT_COLUMNS: Column<Document>[] = [
  { header: 'ID', value: (d) => d.id, maxWidth: 40 },
  { header: 'VERSION', value: (d) => String(d.version), align: 'right' },
  { header: 'TITLE', value: (d) => d.title, maxWidth: 40 },
  { header: 'TYPE', value: (d) => d.contentType },
  { header: 'SIZE', value: (d) => formatBytes(d.sizeBytes), align: 'right' },
  { header: 'CHUNKS', value: (d) => String(d.chunkCount), align: 'right' },
  { header: 'ADDED', value: (d) => formatTimestamp(d.createTime) },
];

export function renderDocumentTable(documents: readonly Document[]): string {
  return documents.length === 0 ? 'No documents found.\n' : renderTable(DOCUMENT_COLUMNS, documents);
}

/** The document's fields, then its extracted text when the reply has it (GetDocument with include_text). */
export function renderDocument(document: Document): string {
  const fields = renderKeyValues([
    ['KNOWLEDGE BASE', document.knowledgeBaseId],
    ['ID', document.id],
    ['VERSION', String(document.version)],
    ['STATE', formatEnum(document.state, 'DOCUMENT_')],
    ['TITLE', document.title],
    ['CONTENT TYPE', document.contentType],
    ['SIZE', `${formatBytes(document.sizeBytes)} (${document.sizeBytes} bytes)`],
    ['SHA-256', document.sha256],
    ['CHUNKS', String(document.chunkCount)],
    ['TEXT LENGTH', `${document.textLength} characters`],
    ['METADATA', formatLabels(document.metadata)],
    ['EMBEDDINGS', document.embeddingsModel || 'none'],
    ['ADDED BY', document.createdBy],
    ['ADDED', formatTimestamp(document.createTime)],
    ['UPDATED', formatTimestamp(document.updateTime)],
    ['LOG POSITION', String(document.logPosition)],
  ]);
  return document.text ? `${fields}\n${document.text}${document.text.endsWith('\n') ? '' : '\n'}` : fields;
}

/**
 * Search results, best first, three lines each: rank, score, title and
 * `document@version in <knowledge base>`; where the text is (chunk, code point
 * offsets of the chunk and of the snippet) and the ranks the score fused; the
 * snippet. `names` maps knowledge base ids to names (an id missing from it is shown as is).
 */
export function renderSearchResults(response: SearchResponse, names: ReadonlyMap<string, string>): string {
  const results = response.results.map((result, i) => renderSearchResult(result, i + 1, names)).join('\n');
  const searched = response.knowledgeBaseIds.length;
  const summary =
    `${response.results.length} result(s) from ${searched} knowledge base(s) searched, ` +
    `mode ${formatEnum(response.mode, 'SEARCH_MODE_')}\n`;
  return response.results.length === 0 ? `No results.\n${summary}` : `${results}\n${summary}`;
}

function renderSearchResult(result: SearchResult, rank: number, names: ReadonlyMap<string, string>): string {
  const c = result.citation;
  const kb = c ? (names.get(c.knowledgeBaseId) ?? c.knowledgeBaseId) : '';
  const source = c ? `${c.documentId}@${c.documentVersion} in ${kb}` : '';
  const ranks = [
    result.lexicalRank ? `lexical #${result.lexicalRank}` : '',
    result.denseRank ? `dense #${result.denseRank}` : '',
  ].filter(Boolean);
  const where = [
    c ? `chunk ${c.chunkIndex}, characters ${c.startOffset}-${c.endOffset}` : '',
    `snippet ${result.snippetStartOffset}-${result.snippetEndOffset}`,
    ...ranks,
  ].filter(Boolean);
  const title = c?.documentTitle || '(untitled)';
  const indent = ' '.repeat(String(rank).length + 2);
  return (
    `${rank}. ${result.score.toFixed(3)}  ${oneLine(title)}  (${source})\n` +
    `${indent}${where.join('; ')}\n` +
    `${indent}${oneLine(result.snippet)}\n`
  );
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
