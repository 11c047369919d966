export { startRuntime } from './bootstrap';
export type { RuntimeService, StartRuntimeOptions } from './bootstrap';
export { GovernedToolCall } from './tools/governed-tool-call';
export type { ToolCallOutcome, ToolCallRequest, ToolCallRun, ToolCatalog } from './tools/governed-tool-call';
