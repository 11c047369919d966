export {
  startService,
  type RunningService,
  type ServiceDefinition,
  type ServiceHost,
  type ServiceParts,
  type StartServiceOptions,
} from './service-host';
export {
  decodeSnapshot,
  encodeSnapshot,
  JetStreamSnapshotStore,
  ProjectionSnapshots,
  SNAPSHOT_BUCKET,
  type ProjectionSnapshot,
  type SnapshotHeader,
  type SnapshotStore,
} from './projection-snapshots';
