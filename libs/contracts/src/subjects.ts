/**
 * NATS request/reply subjects, `aos.<service>.<verb>`. Every service subscribes
 * in a queue group named after itself, so instances share the work.
 */
export const LifecycleSubjects = {
  create: 'aos.lifecycle.create',
  get: 'aos.lifecycle.get',
  list: 'aos.lifecycle.list',
  update: 'aos.lifecycle.update',
  deploy: 'aos.lifecycle.deploy',
  pause: 'aos.lifecycle.pause',
  resume: 'aos.lifecycle.resume',
  retire: 'aos.lifecycle.retire',
} as const;

export const AuditSubjects = {
  list: 'aos.audit.list',
} as const;

export const QueueGroups = {
  lifecycle: 'lifecycle',
  audit: 'audit',
} as const;
