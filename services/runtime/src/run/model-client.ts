import { modelServerClient, openaiErrors } from '@aos/config';
import { setTimeout as sleep } from 'node:timers/promises';
import type OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { inSpan, SpanKind, type Attributes, type Span } from '@aos/telemetry';
import { runtimeTracer } from './runtime.tracer';

export interface ModelClientOptions {
  baseURL: string;
  apiKey: string;
  /** One call's time limit. */
  timeoutMs: number;
  /** Retries after a timeout, a 429 or a 5xx (default 2). */
  maxRetries?: number;
  /** First backoff; doubled per retry (default 500 ms). */
  backoffMs?: number;
}

export interface ModelReply {
  completion: ChatCompletion;
  /** Calls that failed and were retried before this one. */
  retries: number;
  durationMs: number;
}

/** Thrown when the model server did not give an answer after the retries; `code` is the status name the task fails with. */
export class ModelCallError extends Error {
  override name = 'ModelCallError';
  constructor(
    readonly code: 'DEADLINE_EXCEEDED' | 'UNAVAILABLE' | 'FAILED_PRECONDITION' | 'INTERNAL',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Chat completions through the `openai` client against any OpenAI-compatible
 * server. The client's own retries are off: this class retries (timeouts,
 * 429, 5xx, lost connections; bounded, with backoff) so that it can count
 * them for the log. Each call (with its retries) is one `chat <model>` span
 * by the GenAI semantic conventions: the models asked and answering, the
 * token counts and finish reasons, error.type when it failed; never the
 * prompt or the completion.
 */
export class ModelClient {
  private readonly client: OpenAI;
  private readonly maxRetries: number;
  private readonly backoffMs: number;
  /** server.address and server.port of the model server, for the spans. */
  private readonly serverAttributes: Attributes;

  constructor(private readonly options: ModelClientOptions) {
    // Retries are counted here (for the log), not left to the client.
    this.client = modelServerClient({ baseURL: options.baseURL, apiKey: options.apiKey, timeoutMs: options.timeoutMs });
    this.maxRetries = options.maxRetries ?? 2;
    this.backoffMs = options.backoffMs ?? 500;
    this.serverAttributes = serverAttributesOf(options.baseURL);
  }

  complete(
    request: { model: string; messages: ChatCompletionMessageParam[]; tools: ChatCompletionTool[] },
    signal: AbortSignal,
  ): Promise<ModelReply> {
    return inSpan(
      runtimeTracer,
      `chat ${request.model}`,
      { kind: SpanKind.CLIENT, attributes: { ...this.serverAttributes, ...chatRequestAttributes(request.model) } },
      async (span) => {
        const reply = await this.completeWithRetries(request, signal);
        recordChatReply(span, reply);
        return reply;
      },
    );
  }

  private async completeWithRetries(
    request: { model: string; messages: ChatCompletionMessageParam[]; tools: ChatCompletionTool[] },
    signal: AbortSignal,
  ): Promise<ModelReply> {
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      try {
        const completion = await this.client.chat.completions.create(
          {
            model: request.model,
            messages: request.messages,
            ...(request.tools.length > 0 ? { tools: request.tools } : {}),
          },
          { signal },
        );
        return { completion, retries: attempt, durationMs: performance.now() - started };
      } catch (err) {
        if (signal.aborted || err instanceof openaiErrors().APIUserAbortError) throw signal.reason ?? err;
        const failure = classify(err, this.options.timeoutMs);
        if (!failure.retry || attempt >= this.maxRetries) {
          const tries = attempt + 1;
          throw new ModelCallError(failure.code, `${failure.message}${failure.retry ? ` (${tries} tries)` : ''}`, {
            cause: err,
          });
        }
        // Aborted meanwhile: rejects (AbortError); the run's owner reads the reason off the signal.
        await sleep(this.backoffMs * 2 ** attempt, undefined, { signal });
      }
    }
  }
}

/** The GenAI conventions' request attributes of a chat call; the provider is the API spoken (OpenAI's). */
export function chatRequestAttributes(model: string): Attributes {
  return {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    // The older name of gen_ai.provider.name, which backends still read.
    'gen_ai.system': 'openai',
    'gen_ai.request.model': model,
  };
}

/** What the reply says, by the GenAI conventions: the answering model, the token counts, the finish reasons. */
function recordChatReply(span: Span, reply: ModelReply): void {
  const { completion } = reply;
  const attributes: Attributes = {
    'gen_ai.response.finish_reasons': (completion.choices ?? []).map((c) => c.finish_reason ?? ''),
    'aos.model.retries': reply.retries,
  };
  if (completion.model) attributes['gen_ai.response.model'] = completion.model;
  if (completion.id) attributes['gen_ai.response.id'] = completion.id;
  if (completion.usage) {
    attributes['gen_ai.usage.input_tokens'] = completion.usage.prompt_tokens ?? 0;
    attributes['gen_ai.usage.output_tokens'] = completion.usage.completion_tokens ?? 0;
  }
  span.setAttributes(attributes);
}

function serverAttributesOf(baseURL: string): Attributes {
  try {
    const url = new URL(baseURL);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    return { 'server.address': url.hostname, 'server.port': port };
  } catch {
    return {};
  }
}

function classify(err: unknown, timeoutMs: number): { retry: boolean; code: ModelCallError['code']; message: string } {
  const { APIConnectionError, APIConnectionTimeoutError, APIError } = openaiErrors();
  if (err instanceof APIConnectionTimeoutError) {
    return {
      retry: true,
      code: 'DEADLINE_EXCEEDED',
      message: `the model server did not answer within ${timeoutMs} ms`,
    };
  }
  if (err instanceof APIConnectionError) {
    return { retry: true, code: 'UNAVAILABLE', message: 'cannot reach the model server (AOS_OPENAI_BASE_URL)' };
  }
  if (err instanceof APIError && typeof err.status === 'number') {
    if (err.status === 429 || err.status >= 500) {
      return { retry: true, code: 'UNAVAILABLE', message: `the model server answered HTTP ${err.status}` };
    }
    return {
      retry: false,
      code: 'FAILED_PRECONDITION',
      message: `the model server refused the call: HTTP ${err.status} ${err.message}`.slice(0, 500),
    };
  }
  return {
    retry: false,
    code: 'INTERNAL',
    message: `the model call failed: ${(err as Error)?.message ?? String(err)}`,
  };
}
