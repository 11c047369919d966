/** Bench (takeover-routing), issue 15: placeholder until the bench lands. */
export function benchTakeoverRouting(): Promise<void> {
  return Promise.reject(new Error('bench takeover-routing: not written yet'));
}
