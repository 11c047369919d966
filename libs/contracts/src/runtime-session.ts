import { z } from 'zod';
import type { Agent } from './gen/aos/v1/agent';
import type { AgentMessage, RuntimeMessage } from './gen/aos/v1/runtime';

/**
 * Bodies of the RuntimeSubjects an external agent's session travels on. The
 * gateway holds the agent's RuntimeService.Connect stream and only relays;
 * one runtime instance hosts the session (validates the agent, claims its
 * tasks, governs and records what the agent does). Every hop is an
 * acknowledged request: a message that cannot be delivered ends the session
 * on both sides instead of being lost silently.
 *
 *   gateway ──openSession (queue group runtime)──▶ one runtime instance
 *   gateway ──session(<id>): SessionInbound──────▶ that instance only
 *   gateway ◀──gatewaySession(<id>): SessionOutbound── that instance
 */
export const OpenSessionBodySchema = z.object({
  /** Chosen by the gateway (a UUID) before it subscribes to gatewaySession(<id>). */
  sessionId: z.string(),
  agentId: z.string(),
  /** As the agent sent it in `attach` (0 means 1); the runtime checks both fields. */
  maxConcurrentTasks: z.number(),
});
export type OpenSessionBody = z.infer<typeof OpenSessionBodySchema>;
export interface OpenSessionReply {
  sessionId: string;
  /** The attached agent, as lifecycle has it. */
  agent: Agent;
  /** How often the gateway pings session(<id>); a session silent for 3 intervals is closed by its runtime. */
  pingIntervalMs: number;
}

/** A protobuf message relayed as proto-loader decoded it: its fields are checked where it is handled. */
const relayed = <T>() =>
  z.custom<T>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
    message: 'must be a message (an object)',
  });

/** Gateway → hosting runtime on RuntimeSubjects.session(<id>); the reply is an empty object. */
export const SessionInboundSchema = z.discriminatedUnion('kind', [
  /** A message of the agent process, in the order the stream delivered it. */
  z.object({ kind: z.literal('message'), message: relayed<AgentMessage>() }),
  /** The stream is alive. */
  z.object({ kind: z.literal('ping') }),
  /** The stream ended (the agent closed it, or the gateway shuts down): stop the session. */
  z.object({ kind: z.literal('close'), reason: z.string() }),
]);
export type SessionInbound = z.infer<typeof SessionInboundSchema>;

/**
 * Hosting runtime → gateway on RuntimeSubjects.gatewaySession(<id>). The
 * gateway replies (an empty object) once the message is written to the
 * stream and the stream can take more, so a slow agent process slows its
 * session down instead of filling the gateway's memory.
 */
export const SessionOutboundSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('message'), message: relayed<RuntimeMessage>() }),
  /** The runtime ended the session: the gateway ends the stream with this status. */
  z.object({ kind: z.literal('end'), code: z.string(), message: z.string() }),
]);
export type SessionOutbound = z.infer<typeof SessionOutboundSchema>;
