import type { CliContext } from '../cli-context';

/**
 * The stderr line that goes with a reply carrying a new key's secret: the
 * server keeps only a hash, so this reply is the one chance to copy it.
 */
export function warnAboutSecret(ctx: CliContext, secret: string, what: string): void {
  if (secret) {
    ctx.warn(`${what} is shown only this once and cannot be retrieved again: store it now.`);
    return;
  }
  // An idempotent retry (same --request-id) gets the original reply without the secret.
  ctx.warn(
    `the reply has no secret: this request id was already used, and ${what} was shown only in that first reply; ` +
      'if it is lost, create a new key and revoke the old one.',
  );
}
