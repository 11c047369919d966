import { parseCommand, resolveDraft, type Directory, type Resolution, type ResolvedStep } from '@aos/command-language';
import { ModelInterpreter } from './model-interpreter';

export interface InterpretInput {
  /** The text as typed. */
  text: string;
  /** The asking tenant's names, as the commands service's read model holds them now. */
  directory: Directory;
  now: Date;
  /** The dry run: whether the caller may run this step now (its permission on its resource). */
  isPermitted: (step: ResolvedStep) => boolean;
}

export interface Interpretation {
  interpreter: 'PARSER' | 'MODEL';
  resolution: Resolution;
  /** Why a model's proposal was not used ('' when no model is configured or its proposal was used). */
  fallbackReason: string;
}

/** Text to a resolved plan; the one seam between the commands service and its interpreters. */
export interface TextInterpreter {
  interpret(input: InterpretInput): Promise<Interpretation>;
}

export interface TextInterpreterConfig {
  AOS_OPENAI_BASE_URL?: string;
  AOS_OPENAI_API_KEY?: string;
  AOS_MODEL: string;
  AOS_MODEL_TIMEOUT_MS: number;
}

/** The parser alone: deterministic, no model. */
export const parserInterpreter: TextInterpreter = {
  interpret: ({ text, directory, now }) =>
    Promise.resolve({
      interpreter: 'PARSER',
      resolution: resolveDraft(parseCommand(text), directory, { now }),
      fallbackReason: '',
    }),
};

/** The interpreter for this configuration (a model-backed one when AOS_OPENAI_BASE_URL is set). */
export function createTextInterpreter(config: TextInterpreterConfig): TextInterpreter {
  if (!config.AOS_OPENAI_BASE_URL) return parserInterpreter;
  return new ModelInterpreter({
    baseURL: config.AOS_OPENAI_BASE_URL,
    apiKey: config.AOS_OPENAI_API_KEY,
    model: config.AOS_MODEL,
    timeoutMs: config.AOS_MODEL_TIMEOUT_MS,
    fallback: parserInterpreter,
  });
}
