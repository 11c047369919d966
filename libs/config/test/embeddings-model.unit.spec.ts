import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src';

describe('AOS_EMBEDDINGS_MODEL', () => {
  it('is unset by default: knowledge search is lexical', () => {
    expect(loadConfig({}).AOS_EMBEDDINGS_MODEL).toBeUndefined();
  });

  it('names the model of AOS_OPENAI_BASE_URL, which it needs', () => {
    const config = loadConfig({
      AOS_EMBEDDINGS_MODEL: 'text-embedding-3-small',
      AOS_OPENAI_BASE_URL: 'http://127.0.0.1:8080/v1',
    });
    expect(config.AOS_EMBEDDINGS_MODEL).toBe('text-embedding-3-small');
    expect(() => loadConfig({ AOS_EMBEDDINGS_MODEL: 'text-embedding-3-small' })).toThrow(ConfigError);
    expect(() => loadConfig({ AOS_EMBEDDINGS_MODEL: 'text-embedding-3-small' })).toThrow(/AOS_OPENAI_BASE_URL/);
  });
});
