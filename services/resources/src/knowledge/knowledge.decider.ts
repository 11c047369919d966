import type { DocumentAdded, KnowledgeBaseCreated, KnowledgeEvent } from '@aos/domain';
import { AlreadyExistsError, AosError, assertNever, FailedPreconditionError, NotFoundError } from '@aos/errors';

/**
 * One `kb-<knowledgeBaseId>` stream as a pure decider: the knowledge base and
 * the versions of its documents. The blobs a DocumentAdded names live in
 * streams of their own (`kb-blob_<sha256>`), written before it by the handler;
 * this decider only numbers versions and guards removals. Name uniqueness
 * spans streams, so the pipeline checks it, not this decider. Ids, the actor
 * and the extracted facts arrive in the command.
 */

/** What the decider keeps of a document: enough to number the next version and to refuse a second removal. */
export interface DocumentEntry {
  /** The current version (1, 2, ...). */
  version: number;
  status: 'ACTIVE' | 'REMOVED';
}

export type KnowledgeBaseState =
  | { status: 'NONE' }
  | {
      status: 'CREATED';
      knowledgeBase: KnowledgeBaseCreated;
      documents: ReadonlyMap<string, DocumentEntry>;
      /** Documents not removed. */
      activeDocuments: number;
    };

export const initialKnowledgeBaseState: KnowledgeBaseState = { status: 'NONE' };

/** Documents a knowledge base holds at most (not removed); the next AddDocument of a new id is FAILED_PRECONDITION. */
export const MAX_DOCUMENTS = 10_000;

export type CreateKnowledgeBase = { type: 'CreateKnowledgeBase'; knowledgeBase: KnowledgeBaseCreated };
export type AddDocument = {
  type: 'AddDocument';
  /** Everything of the event but the version, which the decider numbers. */
  document: Omit<DocumentAdded, 'version'>;
  /** The caller's expected_version: 0 when the document must not exist yet. */
  expectedVersion: number | undefined;
};
export type RemoveDocument = {
  type: 'RemoveDocument';
  knowledgeBaseId: string;
  documentId: string;
  expectedVersion: number | undefined;
};
export type KnowledgeBaseCommand = CreateKnowledgeBase | AddDocument | RemoveDocument;

/** Thrown when the caller's expected_version is not the document's current version. */
export class StaleDocumentVersionError extends AosError {
  override name = 'StaleDocumentVersionError';
  constructor(
    readonly documentId: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(
      'ABORTED',
      `expected_version ${expected} is stale: document ${JSON.stringify(documentId)} is at version ${actual}`,
      'expected_version',
    );
  }
}

/** Returns the events a command causes; throws the typed error that says why it may not happen. */
export function decide(command: KnowledgeBaseCommand, state: KnowledgeBaseState): KnowledgeEvent[] {
  switch (command.type) {
    case 'CreateKnowledgeBase':
      if (state.status !== 'NONE')
        throw new AlreadyExistsError('knowledge base', 'id', command.knowledgeBase.knowledgeBaseId);
      return [{ type: 'KnowledgeBaseCreated', data: command.knowledgeBase }];
    case 'AddDocument': {
      const kb = requireCreated(state, command.document.knowledgeBaseId);
      const current = kb.documents.get(command.document.documentId);
      requireVersion(command.document.documentId, command.expectedVersion, current?.version ?? 0);
      if (current?.status !== 'ACTIVE' && kb.activeDocuments >= MAX_DOCUMENTS) {
        throw new FailedPreconditionError(
          `knowledge base ${command.document.knowledgeBaseId} holds ${MAX_DOCUMENTS} documents, the most it may; remove some first`,
        );
      }
      return [{ type: 'DocumentAdded', data: { ...command.document, version: (current?.version ?? 0) + 1 } }];
    }
    case 'RemoveDocument': {
      const kb = requireCreated(state, command.knowledgeBaseId);
      const current = kb.documents.get(command.documentId);
      if (!current) throw new NotFoundError('document', command.documentId);
      requireVersion(command.documentId, command.expectedVersion, current.version);
      if (current.status === 'REMOVED') {
        throw new FailedPreconditionError(`document ${JSON.stringify(command.documentId)} is already removed`);
      }
      return [
        {
          type: 'DocumentRemoved',
          data: { knowledgeBaseId: command.knowledgeBaseId, documentId: command.documentId, version: current.version },
        },
      ];
    }
    default:
      return assertNever(command);
  }
}

export function evolve(state: KnowledgeBaseState, event: KnowledgeEvent): KnowledgeBaseState {
  switch (event.type) {
    case 'KnowledgeBaseCreated':
      if (state.status !== 'NONE')
        throw new Error(`KnowledgeBaseCreated ${event.data.knowledgeBaseId} in a stream that exists`);
      return { status: 'CREATED', knowledgeBase: event.data, documents: new Map(), activeDocuments: 0 };
    case 'DocumentAdded': {
      if (state.status !== 'CREATED') throw new Error(`DocumentAdded before its knowledge base was created`);
      const previous = state.documents.get(event.data.documentId);
      if (event.data.version !== (previous?.version ?? 0) + 1) {
        throw new Error(
          `DocumentAdded ${event.data.documentId} version ${event.data.version} after version ${previous?.version ?? 0}`,
        );
      }
      const documents = new Map(state.documents).set(event.data.documentId, {
        version: event.data.version,
        status: 'ACTIVE',
      });
      const activeDocuments = state.activeDocuments + (previous?.status === 'ACTIVE' ? 0 : 1);
      return { ...state, documents, activeDocuments };
    }
    case 'DocumentRemoved': {
      const current = state.status === 'CREATED' ? state.documents.get(event.data.documentId) : undefined;
      if (state.status !== 'CREATED' || current?.status !== 'ACTIVE') {
        throw new Error(`DocumentRemoved for document ${event.data.documentId}, which is not active`);
      }
      const documents = new Map(state.documents).set(event.data.documentId, { ...current, status: 'REMOVED' });
      return { ...state, documents, activeDocuments: state.activeDocuments - 1 };
    }
    case 'BlobPartStored':
      // Blobs have streams of their own (kb-blob_<sha256>); the projection assembles them.
      throw new Error('BlobPartStored in a knowledge base stream');
    default:
      return assertNever(event);
  }
}

function requireCreated(
  state: KnowledgeBaseState,
  knowledgeBaseId: string,
): Extract<KnowledgeBaseState, { status: 'CREATED' }> {
  if (state.status !== 'CREATED') throw new NotFoundError('knowledge base', knowledgeBaseId);
  return state;
}

function requireVersion(documentId: string, expected: number | undefined, actual: number): void {
  if (expected !== undefined && expected !== actual) throw new StaleDocumentVersionError(documentId, expected, actual);
}
