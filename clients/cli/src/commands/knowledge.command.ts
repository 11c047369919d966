import { InvalidArgumentError, type Command } from 'commander';
import type { Document, KnowledgeBase, SearchRequest } from '@aos/contracts';
import type { ActionRunner, CliContext } from '../cli-context';
import {
  renderDocument,
  renderDocumentTable,
  renderKnowledgeBase,
  renderKnowledgeBaseTable,
  renderSearchResults,
} from '../output/knowledge.view';
import {
  addExpectedVersionOption,
  addMinPositionOption,
  addRequestIdOption,
  examples,
  requestIdOf,
  type ExpectedVersionFlags,
  type MinPositionFlags,
  type RequestIdFlags,
} from './command-options';
import { contentTypeOf, MAX_DOCUMENT_BYTES, parseContentType, readDocumentFile } from './document-file';
import { byIdOrName, nameRefsOf } from './name-ref';
import { choice, collect, collectLabel, parsePositiveInt, parseVersionedId, type VersionedId } from './option-parsers';
import { EVERY_PAGE, printPagedList } from './pagination';

/**
 * `aos kb`: knowledge bases, their documents, and search with citations.
 * A `<kb>` argument is a knowledge base's id or its name.
 */

const SEARCH_MODES = ['LEXICAL', 'HYBRID'] as const;

/** `--min-score`: a number from 0 to 1 (scores are fused to that range). */
export function parseScore(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new InvalidArgumentError('expected a number from 0 to 1, e.g. 0.2.');
  }
  return n;
}

/** `--top-k`: 1-50 (SearchRequest.top_k). */
export function parseTopK(value: string): number {
  const n = parsePositiveInt(value);
  if (n > 50) throw new InvalidArgumentError('expected a whole number from 1 to 50.');
  return n;
}

/** `<kb>`: an id, or a name the server finds. */
async function knowledgeBaseIdOf(ctx: CliContext, ref: string): Promise<string> {
  return (await nameRefsOf(ctx)).idOf('knowledge base', ref);
}

function printKnowledgeBase(ctx: CliContext, kb: KnowledgeBase): void {
  if (ctx.json) ctx.writeJson(kb);
  else ctx.write(renderKnowledgeBase(kb));
}

function printDocument(ctx: CliContext, document: Document): void {
  if (ctx.json) ctx.writeJson(document);
  else ctx.write(renderDocument(document));
}

interface CreateFlags extends RequestIdFlags {
  description?: string;
  label?: Record<string, string>;
}

async function createKnowledgeBase(ctx: CliContext, name: string, flags: CreateFlags): Promise<void> {
  const client = await ctx.connect();
  const kb = await client.knowledge.createKnowledgeBase(
    {
      knowledgeBase: { name, description: flags.description ?? '', labels: flags.label ?? {} },
      requestId: requestIdOf(flags),
    },
    { signal: ctx.signal },
  );
  printKnowledgeBase(ctx, kb);
}

async function getKnowledgeBase(ctx: CliContext, ref: string, flags: MinPositionFlags): Promise<void> {
  const client = await ctx.connect();
  printKnowledgeBase(
    ctx,
    await client.knowledge.getKnowledgeBase(
      { ...byIdOrName(ref), minPosition: flags.minPosition ?? 0 },
      { signal: ctx.signal },
    ),
  );
}

async function listKnowledgeBases(ctx: CliContext, flags: MinPositionFlags): Promise<void> {
  const client = await ctx.connect();
  await printPagedList(ctx, EVERY_PAGE, {
    fetchPage: (pageToken: string) =>
      client.knowledge.listKnowledgeBases({ pageToken, minPosition: flags.minPosition ?? 0 }, { signal: ctx.signal }),
    field: 'knowledgeBases',
    itemsOf: (page) => page.knowledgeBases,
    render: renderKnowledgeBaseTable,
    noun: 'knowledge base',
  });
}

interface AddFlags extends RequestIdFlags, ExpectedVersionFlags {
  id?: string;
  title?: string;
  type?: string;
  meta?: Record<string, string>;
}

async function addDocument(ctx: CliContext, ref: string, file: string, flags: AddFlags): Promise<void> {
  // The file is checked before connecting: a wrong type or size is a usage error without a call.
  const contentType = contentTypeOf(file, flags.type);
  const content = await readDocumentFile(await ctx.resolvePath(file), file);
  const client = await ctx.connect();
  const knowledgeBaseId = await knowledgeBaseIdOf(ctx, ref);
  const document = await client.knowledge.addDocument(
    {
      knowledgeBaseId,
      documentId: flags.id ?? '',
      title: flags.title ?? '',
      contentType,
      content,
      metadata: flags.meta ?? {},
      expectedVersion: flags.expectedVersion,
      requestId: requestIdOf(flags),
    },
    { signal: ctx.signal },
  );
  printDocument(ctx, document);
}

async function listDocuments(ctx: CliContext, ref: string, flags: MinPositionFlags): Promise<void> {
  const client = await ctx.connect();
  const knowledgeBaseId = await knowledgeBaseIdOf(ctx, ref);
  await printPagedList(ctx, EVERY_PAGE, {
    fetchPage: (pageToken: string) =>
      client.knowledge.listDocuments(
        { knowledgeBaseId, pageToken, minPosition: flags.minPosition ?? 0 },
        { signal: ctx.signal },
      ),
    field: 'documents',
    itemsOf: (page) => page.documents,
    render: renderDocumentTable,
    noun: 'document',
  });
}

async function getDocument(
  ctx: CliContext,
  ref: string,
  document: VersionedId,
  flags: MinPositionFlags & { text?: boolean },
): Promise<void> {
  const client = await ctx.connect();
  const knowledgeBaseId = await knowledgeBaseIdOf(ctx, ref);
  const reply = await client.knowledge.getDocument(
    {
      knowledgeBaseId,
      documentId: document.id,
      version: document.version,
      includeText: flags.text === true,
      minPosition: flags.minPosition ?? 0,
    },
    { signal: ctx.signal },
  );
  printDocument(ctx, reply);
}

type RemoveFlags = RequestIdFlags & ExpectedVersionFlags;

async function removeDocument(ctx: CliContext, ref: string, documentId: string, flags: RemoveFlags): Promise<void> {
  const client = await ctx.connect();
  const knowledgeBaseId = await knowledgeBaseIdOf(ctx, ref);
  const document = await client.knowledge.removeDocument(
    { knowledgeBaseId, documentId, expectedVersion: flags.expectedVersion, requestId: requestIdOf(flags) },
    { signal: ctx.signal },
  );
  printDocument(ctx, document);
}

interface SearchFlags extends MinPositionFlags {
  kb?: string[];
  topK?: number;
  filter?: Record<string, string>;
  minScore?: number;
  mode?: (typeof SEARCH_MODES)[number];
}

async function search(ctx: CliContext, query: string, flags: SearchFlags): Promise<void> {
  const client = await ctx.connect();
  const refs = await nameRefsOf(ctx);
  const request: SearchRequest = {
    query,
    knowledgeBaseIds: await refs.idsOf('knowledge base', flags.kb ?? []),
    topK: flags.topK ?? 0,
    metadataFilter: flags.filter ?? {},
    minScore: flags.minScore ?? 0,
    mode: (flags.mode ?? 'SEARCH_MODE_UNSPECIFIED') as SearchRequest['mode'],
    minPosition: flags.minPosition ?? 0,
  };
  const response = await client.knowledge.search(request, { signal: ctx.signal });
  if (ctx.json) {
    ctx.writeJson(response);
    return;
  }
  // Names read better than ids: one lookup per knowledge base cited.
  const cited = new Set(response.results.map((r) => r.citation?.knowledgeBaseId ?? '').filter(Boolean));
  const names = new Map<string, string>();
  for (const id of cited) {
    const name = await refs.nameOf('knowledge base', id);
    if (name) names.set(id, name);
  }
  ctx.write(renderSearchResults(response, names));
}

const KB_ARGUMENT = ['<kb>', "a knowledge base's id or name"] as const;

export function registerKnowledgeCommand(program: Command, runner: ActionRunner): void {
  const kb = program
    .command('kb')
    .description('knowledge bases: documents agents and people search, with citations')
    .addHelpText(
      'after',
      `
A <kb> argument is a knowledge base's id or its name. Documents are text,
Markdown, HTML or PDF files of at most 512 KiB; adding a document id again
records a new version, which replaces the previous one in search results.
Search is BM25, fused with dense vectors when the server has an embeddings
model; it only ever looks at knowledge bases you may read.
`,
    );

  const create = kb
    .command('create')
    .description('create an empty knowledge base')
    .argument('<name>', 'unique in the tenant, 1-64 characters of [a-z0-9_-]')
    .option('--description <text>', 'what it holds (at most 2000 characters)')
    .option('--label <key=value>', 'a label (repeatable)', collectLabel)
    .addHelpText(
      'after',
      examples(
        'aos kb create support-docs --description "Refund and billing policies" --label team=support',
        'aos kb create handbook --json',
      ),
    );
  addRequestIdOption(create).action(runner.wrap(createKnowledgeBase));

  const list = kb
    .command('list')
    .description('list the knowledge bases you may read, in creation order (every page)')
    .addHelpText('after', examples('aos kb list', 'aos kb list --json'));
  addMinPositionOption(list).action(runner.wrap(listKnowledgeBases));

  const get = kb
    .command('get')
    .description('show one knowledge base, with its document and chunk counts')
    .argument(...KB_ARGUMENT)
    .addHelpText('after', examples('aos kb get support-docs', 'aos kb get 6f1c0c3e-… --json'));
  addMinPositionOption(get).action(runner.wrap(getKnowledgeBase));

  const add = kb
    .command('add')
    .description('add a document (or a new version of one) from a file')
    .argument(...KB_ARGUMENT)
    .argument('<file>', `the document, at most 512 KiB (${MAX_DOCUMENT_BYTES} bytes)`)
    .option(
      '--id <doc-id>',
      'document id, 1-128 characters of [A-Za-z0-9._-]; an existing id gets a new version (default: a new document)',
    )
    .option('--title <title>', 'default: found in the document (HTML <title>, Markdown "# heading", PDF metadata)')
    .option(
      '--type <content-type>',
      'text/plain, text/markdown, text/html or application/pdf (or txt, md, html, pdf); ' +
        'default: from the extension (.txt, .md, .markdown, .html, .htm, .pdf)',
      parseContentType,
    )
    .option('--meta <key=value>', 'metadata that search --filter matches (repeatable)', collectLabel);
  addExpectedVersionOption(add, "the document's current version is n (0: it must not exist yet)").addHelpText(
    'after',
    examples(
      'aos kb add support-docs refunds.md --id refunds --meta lang=en',
      'aos kb add support-docs refunds.md --id refunds --expected-version 1   # version 2, unless someone got there first',
      'aos kb add handbook handbook.pdf --title "Employee handbook" --json',
    ),
  );
  addRequestIdOption(add).action(runner.wrap(addDocument));

  const docs = kb
    .command('docs')
    .description("list a knowledge base's documents (current versions, not removed), every page")
    .argument(...KB_ARGUMENT)
    .addHelpText('after', examples('aos kb docs support-docs', 'aos kb docs support-docs --json'));
  addMinPositionOption(docs).action(runner.wrap(listDocuments));

  const doc = kb
    .command('doc')
    .description('show one document (its current version, or <doc>@<version>), removed ones included')
    .argument(...KB_ARGUMENT)
    .argument('<doc>', 'document id, or id@version for that version (as search results cite it)', parseVersionedId)
    .option('--text', 'also print the text extracted from it (what citation offsets count in)')
    .addHelpText(
      'after',
      examples('aos kb doc support-docs refunds --text', 'aos kb doc support-docs refunds@1 --json'),
    );
  addMinPositionOption(doc).action(runner.wrap(getDocument));

  const rm = kb
    .command('rm')
    .description('remove a document from search results (its versions stay in the log)')
    .argument(...KB_ARGUMENT)
    .argument('<doc>', 'document id');
  addExpectedVersionOption(rm, "the document's current version is n").addHelpText(
    'after',
    examples('aos kb rm support-docs refunds', 'aos kb rm support-docs refunds --expected-version 2'),
  );
  addRequestIdOption(rm).action(runner.wrap(removeDocument));

  const searchCommand = kb
    .command('search')
    .description('search knowledge bases; each result cites its document, version, chunk and character offsets')
    .argument('<query>', 'what you are looking for, in plain language (1-2000 characters)')
    .option('--kb <kb>', 'only this knowledge base, id or name (repeatable; default: every one you may read)', collect)
    .option('--top-k <n>', 'at most this many results, 1-50 (default 5)', parseTopK)
    .option('--filter <key=value>', 'only documents with this metadata (repeatable: all must match)', collectLabel)
    .option('--min-score <x>', 'drop results scoring below x (0-1, applied after fusion)', parseScore)
    .option(
      '--mode <mode>',
      'lexical or hybrid (default: hybrid when the server embeds, else lexical)',
      choice(SEARCH_MODES),
    )
    .addHelpText(
      'after',
      examples(
        'aos kb search "how long do refunds take" --kb support-docs',
        'aos kb search "parental leave" --top-k 10 --filter lang=en --min-score 0.2',
        'aos kb search "vpn token reset" --mode lexical --json',
      ) +
        `
Each result: rank, score (0-1), title, document@version and knowledge base; the
chunk and the code point offsets of the chunk and of the snippet in the
document's extracted text (\`aos kb doc <kb> <doc> --text\` prints it); the snippet.
`,
    );
  addMinPositionOption(searchCommand).action(runner.wrap(search));
}
