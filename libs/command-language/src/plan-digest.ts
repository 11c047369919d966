import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { ResolvedInput } from './resolution';

/** The part of a step the digest binds: the exact action, nothing of its presentation. */
export interface DigestStep {
  service: string;
  method: string;
  request: Record<string, unknown>;
  inputs: readonly ResolvedInput[];
}

/**
 * Lowercase hex SHA-256 of the canonical JSON (RFC 8785, JCS) of
 * {"steps":[{service, method, request, inputs}...]}: the same actions give the
 * same digest on every machine, and any change to any of them another.
 */
export function planDigest(steps: readonly DigestStep[]): string {
  const canonical = canonicalize({
    steps: steps.map((s) => ({
      service: s.service,
      method: s.method,
      request: s.request,
      inputs: s.inputs.map((i) => ({ field: i.field, fromStep: i.fromStep, fromField: i.fromField })),
    })),
  });
  if (canonical === undefined) throw new Error('a plan has no canonical JSON');
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
