/** VerifyLog reads and hashes the tenant's whole log: a million events take tens of seconds. */
export const VERIFY_LOG_TIMEOUT_MS = 10 * 60_000;
/** Signing may first hash a tenant's tree a replica has not hashed since it started (about 30 s a million events). */
export const SIGNING_TIMEOUT_MS = 2 * 60_000;
