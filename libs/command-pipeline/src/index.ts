export {
  CommandPipeline,
  RequestWriter,
  followerOf,
  writerPipeline,
  MAX_DECIDE_ATTEMPTS,
  type CommandPipelineOptions,
  type CommandSpec,
  type CommitSpec,
  type Committed,
  type DecidedEvent,
  type LogFollower,
  type PipelineStore,
  type PipelineWaits,
  type RequestDone,
  type RequestSpec,
  type StreamState,
  type WriterHost,
} from './command-pipeline';
export { RequestIndex, lastPositionOf, recordedStep, type RecordedStep, type RequestIndexState } from './request-index';
export { NAME_GRACE_MS, type NameChange, type NameHolders } from './name-reservations';
export {
  JetStreamKvNameLedger,
  JetStreamKvRegisters,
  NAME_BUCKET,
  type NameLedger,
  type NameRecord,
  type RegisterRecord,
  type Registers,
  type RegistersOptions,
} from './kv-registers';
export { envelop } from './envelope';
