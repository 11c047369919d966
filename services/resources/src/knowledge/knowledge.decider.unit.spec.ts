import { describe, expect, it } from 'vitest';
import type { DocumentAdded, KnowledgeBaseCreated, KnowledgeEvent } from '@aos/domain';
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from '@aos/errors';
import {
  decide,
  evolve,
  initialKnowledgeBaseState,
  MAX_DOCUMENTS,
  StaleDocumentVersionError,
  type KnowledgeBaseCommand,
  type KnowledgeBaseState,
} from './knowledge.decider';

const kb: KnowledgeBaseCreated = {
  knowledgeBaseId: 'kb-1',
  name: 'handbook',
  description: 'How we work',
  labels: { team: 'ops' },
  createdBy: 'alice',
};
const created: KnowledgeEvent = { type: 'KnowledgeBaseCreated', data: kb };

const doc = (documentId: string, extra: Partial<DocumentAdded> = {}): Omit<DocumentAdded, 'version'> => ({
  knowledgeBaseId: 'kb-1',
  documentId,
  title: 'Onboarding',
  contentType: 'text/markdown',
  sizeBytes: 10,
  sha256: 'a'.repeat(64),
  textSha256: 'b'.repeat(64),
  textLength: 10,
  chunks: [{ start: 0, end: 10 }],
  metadata: {},
  embeddings: null,
  addedBy: 'alice',
  ...extra,
});
const added = (documentId: string, version: number): KnowledgeEvent => ({
  type: 'DocumentAdded',
  data: { ...doc(documentId), version },
});
const removed = (documentId: string, version: number): KnowledgeEvent => ({
  type: 'DocumentRemoved',
  data: { knowledgeBaseId: 'kb-1', documentId, version },
});

function given(events: KnowledgeEvent[]): KnowledgeBaseState {
  return events.reduce(evolve, initialKnowledgeBaseState);
}

function when(events: KnowledgeEvent[], command: KnowledgeBaseCommand): KnowledgeEvent[] {
  return decide(command, given(events));
}

const add = (documentId: string, expectedVersion?: number): KnowledgeBaseCommand => ({
  type: 'AddDocument',
  document: doc(documentId),
  expectedVersion,
});
const remove = (documentId: string, expectedVersion?: number): KnowledgeBaseCommand => ({
  type: 'RemoveDocument',
  knowledgeBaseId: 'kb-1',
  documentId,
  expectedVersion,
});

describe('Knowledge base decider: create', () => {
  it('creates an empty knowledge base', () => {
    expect(when([], { type: 'CreateKnowledgeBase', knowledgeBase: kb })).toEqual([created]);
    const state = given([created]);
    expect(state.status === 'CREATED' && state.activeDocuments).toBe(0);
  });

  it('refuses a second creation of the same stream', () => {
    expect(() => when([created], { type: 'CreateKnowledgeBase', knowledgeBase: kb })).toThrow(AlreadyExistsError);
  });
});

describe('Knowledge base decider: documents', () => {
  it('adds version 1 of a new document, then 2, 3 of the same id', () => {
    expect(when([created], add('d1'))).toEqual([added('d1', 1)]);
    expect(when([created, added('d1', 1)], add('d1'))).toEqual([added('d1', 2)]);
    expect(when([created, added('d1', 1), added('d1', 2)], add('d1'))).toEqual([added('d1', 3)]);
  });

  it('refuses documents in a knowledge base that does not exist', () => {
    expect(() => when([], add('d1'))).toThrow(NotFoundError);
    expect(() => when([], remove('d1'))).toThrow(NotFoundError);
  });

  it('checks expected_version: 0 for a new document, the current version for a new one', () => {
    expect(when([created], add('d1', 0))).toEqual([added('d1', 1)]);
    expect(() => when([created, added('d1', 1)], add('d1', 0))).toThrow(StaleDocumentVersionError);
    expect(when([created, added('d1', 1)], add('d1', 1))).toEqual([added('d1', 2)]);
    const stale = (() => {
      try {
        when([created, added('d1', 1), added('d1', 2)], add('d1', 1));
      } catch (err) {
        return err as StaleDocumentVersionError;
      }
    })();
    expect([stale?.code, stale?.field, stale?.actual]).toEqual(['ABORTED', 'expected_version', 2]);
  });

  it('removes the current version once; a second removal is FAILED_PRECONDITION', () => {
    const history = [created, added('d1', 1), added('d1', 2)];
    expect(when(history, remove('d1'))).toEqual([removed('d1', 2)]);
    expect(() => when([...history, removed('d1', 2)], remove('d1'))).toThrow(FailedPreconditionError);
    expect(() => when(history, remove('d1', 1))).toThrow(StaleDocumentVersionError);
    expect(() => when(history, remove('unknown'))).toThrow(NotFoundError);
  });

  it('adds a removed document again as its next version, and counts it active again', () => {
    const history = [created, added('d1', 1), removed('d1', 1)];
    expect(when(history, add('d1'))).toEqual([added('d1', 2)]);
    const state = given([...history, added('d1', 2)]);
    expect(state.status === 'CREATED' && [state.activeDocuments, state.documents.get('d1')]).toEqual([
      1,
      { version: 2, status: 'ACTIVE' },
    ]);
  });

  it(`holds at most ${MAX_DOCUMENTS} documents not removed; a new version of one of them is still taken`, () => {
    const full: KnowledgeBaseState = {
      status: 'CREATED',
      knowledgeBase: kb,
      documents: new Map([['d1', { version: 1, status: 'ACTIVE' as const }]]),
      activeDocuments: MAX_DOCUMENTS,
    };
    expect(() => decide(add('another'), full)).toThrow(FailedPreconditionError);
    expect(decide(add('d1'), full)).toEqual([added('d1', 2)]);
  });
});

describe('Knowledge base decider: evolve refuses what the writer never records', () => {
  it('a version that skips one, a removal of a removed document, a blob part in a knowledge base stream', () => {
    expect(() => given([created, added('d1', 2)])).toThrow(/version 2 after version 0/);
    expect(() => given([created, added('d1', 1), removed('d1', 1), removed('d1', 1)])).toThrow(/not active/);
    expect(() => given([added('d1', 1)])).toThrow(/before its knowledge base/);
    const part: KnowledgeEvent = {
      type: 'BlobPartStored',
      data: { sha256: 'c'.repeat(64), kind: 'text', part: 0, parts: 1, totalBytes: 1, data: 'YQ==' },
    };
    expect(() => given([created, part])).toThrow(/BlobPartStored/);
  });
});
