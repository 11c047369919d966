import { tracerOf } from '@aos/telemetry';

/** The runtime's spans: a run's (invoke_agent), its model calls (chat) and its tool calls (execute_tool). */
export const runtimeTracer = tracerOf('@aos/runtime');
