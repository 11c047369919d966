import { status } from '@grpc/grpc-js';
import type { Logger } from '@nestjs/common';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { toGrpcError } from '../grpc-error.mapper';

/** A tool's answer: the object as JSON text (for clients that read text) and as structuredContent. */
export function toolOutput(structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
}

/**
 * A call that ended without an answer, as an MCP tool error (isError), so the
 * model can read why: `<STATUS>: <message>`, with the status the same call
 * would get over gRPC.
 */
export function toolError(code: keyof typeof status, message: string): CallToolResult {
  return { content: [{ type: 'text', text: `${code}: ${message}` }], isError: true };
}

/** Whatever a service answered instead of a reply, mapped as the gateway maps it for gRPC (bugs leave as INTERNAL). */
export function toolFailure(err: unknown, logger: Logger): CallToolResult {
  const { code, message } = toGrpcError(err, logger);
  return toolError(status[code] as keyof typeof status, message);
}

/** Arguments the tool's input schema refuses: INVALID_ARGUMENT naming the first bad argument. */
export function invalidArguments(error: z.ZodError): CallToolResult {
  const issue = error.issues[0];
  const field = issue?.path.length ? issue.path.join('.') : 'arguments';
  return toolError('INVALID_ARGUMENT', `${field}: ${issue?.message ?? 'invalid'}`);
}
