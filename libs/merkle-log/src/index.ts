export { HASH_SIZE, emptyRoot, leafHash, nodeHash, rootOf } from './hash';
export { HashList } from './hash-list';
export { Frontier } from './frontier';
export { MerkleTree } from './merkle-tree';
export { verifyConsistency, verifyInclusion } from './verify';
export {
  CheckpointError,
  checkpointText,
  keyId,
  noteSigner,
  noteVerifier,
  openCheckpoint,
  parseCheckpointText,
  parseVerifierKey,
  positionsDigest,
  signCheckpoint,
  verifierKey,
} from './checkpoint';
export type { Checkpoint, NoteSigner, NoteVerifier } from './checkpoint';
export { eventLeaf, eventLeafInput, sealValue, sealedEvent, sealedLeafInput } from './event-leaf';
export type { LoggedEvent, SealedEvent } from './event-leaf';
export {
  BUNDLE_FORMAT,
  BundleOptionsError,
  bundleEventLine,
  bundleHeaderLine,
  bundleTrailerLine,
  describeBundleVerification,
  verifyBundle,
} from './bundle';
export type {
  BundleEventLine,
  BundleHeader,
  BundleProblem,
  BundleTrailer,
  BundleVerification,
  VerifyBundleOptions,
} from './bundle';
