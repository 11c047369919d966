export {
  startService,
  type RunningService,
  type ServiceDefinition,
  type ServiceHost,
  type ServiceParts,
  type StartServiceOptions,
} from './service-host';
