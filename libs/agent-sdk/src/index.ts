export {
  runExternalAgent,
  type ExternalAgent,
  type ExternalAgentOptions,
  type TaskContext,
  type TaskHandler,
} from './external-agent';
