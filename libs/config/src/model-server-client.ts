import { createRequire } from 'node:module';
import type OpenAI from 'openai';

export interface ModelServerClientOptions {
  /** AOS_OPENAI_BASE_URL: an OpenAI-compatible server (`…/v1`). */
  baseURL: string;
  /** AOS_OPENAI_API_KEY; unset or empty for servers that need none. */
  apiKey?: string;
  timeoutMs?: number;
  /** The client's own retries; default 0: each caller decides what a failure means (fall back, retry, count). */
  maxRetries?: number;
}

/**
 * The `openai` client for the configured model server, built one way for the
 * runtime, the LLM router and the plain-language interpreter (the embeddings
 * client in @aos/retrieval, a domain library, builds its own the same way).
 */
export function modelServerClient(options: ModelServerClientOptions): OpenAI {
  const { OpenAI: Client } = openai();
  return new Client({
    baseURL: options.baseURL,
    // The client insists on a key; servers that need none (local ones) ignore the header.
    apiKey: options.apiKey || 'not-set',
    timeout: options.timeoutMs ?? 60_000,
    maxRetries: options.maxRetries ?? 0,
  });
}

/**
 * The `openai` error classes, for `instanceof` on what a client threw (the
 * package is loaded by then: only a client built here throws them).
 */
export function openaiErrors(): Pick<
  typeof import('openai'),
  'APIError' | 'APIConnectionError' | 'APIConnectionTimeoutError' | 'APIUserAbortError'
> {
  return openai();
}

let loaded: typeof import('openai') | undefined;
/**
 * The `openai` package (~240 modules), loaded when the first client is built:
 * every service imports this library, and most never talk to a model.
 */
function openai(): typeof import('openai') {
  return (loaded ??= createRequire(import.meta.url)('openai') as typeof import('openai'));
}
