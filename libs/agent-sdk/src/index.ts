export {
  runExternalAgent,
  type ExternalAgent,
  type ExternalAgentOptions,
  type TaskContext,
  type TaskHandler,
} from './external-agent';
export {
  BuiltinToolError,
  type ContextValue,
  type ContextVersion,
  type GetContextOptions,
  type KnowledgeSearch,
  type KnowledgeSearchResult,
  type PutContextOptions,
  type SearchKnowledgeOptions,
} from './builtin-tools';
