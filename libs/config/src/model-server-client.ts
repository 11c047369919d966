import OpenAI from 'openai';

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
  return new OpenAI({
    baseURL: options.baseURL,
    // The client insists on a key; servers that need none (local ones) ignore the header.
    apiKey: options.apiKey || 'not-set',
    timeout: options.timeoutMs ?? 60_000,
    maxRetries: options.maxRetries ?? 0,
  });
}
