/** Bench (takeover-lifecycle), issue 15: placeholder until the bench lands. */
export function benchTakeoverLifecycle(): Promise<void> {
  return Promise.reject(new Error('bench takeover-lifecycle: not written yet'));
}
