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
export interface OpenSessionBody {
  /** Chosen by the gateway (a UUID) before it subscribes to gatewaySession(<id>). */
  sessionId: string;
  agentId: string;
  /** As the agent sent it in `attach` (0 means 1); the runtime checks both fields. */
  maxConcurrentTasks: number;
}
export interface OpenSessionReply {
  sessionId: string;
  /** The attached agent, as lifecycle has it. */
  agent: Agent;
  /** How often the gateway pings session(<id>); a session silent for 3 intervals is closed by its runtime. */
  pingIntervalMs: number;
}

/** Gateway → hosting runtime on RuntimeSubjects.session(<id>); the reply is an empty object. */
export type SessionInbound =
  /** A message of the agent process, in the order the stream delivered it. */
  | { kind: 'message'; message: AgentMessage }
  /** The stream is alive. */
  | { kind: 'ping' }
  /** The stream ended (the agent closed it, or the gateway shuts down): stop the session. */
  | { kind: 'close'; reason: string };

/**
 * Hosting runtime → gateway on RuntimeSubjects.gatewaySession(<id>). The
 * gateway replies (an empty object) once the message is written to the
 * stream and the stream can take more, so a slow agent process slows its
 * session down instead of filling the gateway's memory.
 */
export type SessionOutbound =
  | { kind: 'message'; message: RuntimeMessage }
  /** The runtime ended the session: the gateway ends the stream with this status. */
  | { kind: 'end'; code: string; message: string };
