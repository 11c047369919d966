/**
 * The audit log's own events: the signed checkpoints of each tenant's Merkle
 * tree (audit.proto documents the tree, the leaf and the note).
 */

/** Stream category of a tenant's checkpoints: `checkpoint-<tenant id>`. */
export const CHECKPOINT_CATEGORY = 'checkpoint';

export interface CheckpointSignedData {
  /** `<log name>/tenants/<tenant id>`. */
  origin: string;
  treeSize: number;
  /** Base64 root of the tree of treeSize leaves. */
  rootHash: string;
  /** The signed note (checkpoint text, blank line, signature line). */
  note: string;
  /** Position of leaf treeSize - 1. */
  lastPosition: number;
  /** Size of the previous checkpoint (0 for the first): `leaves` are the leaves from there to treeSize. */
  fromSize: number;
  /** The base64 leaf hashes fromSize .. treeSize - 1, so that a verifier can name the first changed event. */
  leaves: string[];
  /**
   * The log positions of those leaves' events, in order; their digest is the
   * note's signed `positions` line, so a verifier can say where a missing
   * event was.
   */
  positions: number[];
}

export interface CheckpointSigned {
  type: 'CheckpointSigned';
  data: CheckpointSignedData;
}

/**
 * Values of event data that the audit trail never shows: a reply shows
 * "[redacted]" (or, for a knowledge blob part, its size), and a tamper-evidence
 * leaf or an exported bundle holds `{"sealed": "sha256:<hex>"}` in their place
 * (the digest of the value's canonical JSON), so the leaf still commits to them.
 * Keyed by event type, then the data field.
 */
export const SEALED_DATA_FIELDS: Readonly<Record<string, readonly string[]>> = {
  // An API key's slow hash: an offline-guessing target.
  ApiKeyCreated: ['hash'],
  // A knowledge document's bytes (base64): large, and the documents' own access rules apply.
  BlobPartStored: ['data'],
};
