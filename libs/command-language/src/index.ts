// Plain language to plans: the draft format both interpreters produce, the
// deterministic parser of the documented grammar, name resolution against a
// tenant's directory, the catalog of methods a plan may call, the digest.
// Pure TypeScript: no transport, store or model client.
export * from './draft';
export * from './directory';
export * from './method-catalog';
export * from './resolution';
export * from './plan-digest';
export { parseCommand } from './parser/parse-command';
export { resolveDraft, type ResolveOptions } from './resolver/resolve-draft';
