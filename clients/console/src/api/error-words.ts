import { Code, ConnectError } from '@connectrpc/connect';

// "PermissionDenied" → "PERMISSION_DENIED": the status names the API documents.
export function statusName(code: Code): string {
  return Code[code].replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

/** What went wrong, in words a person can act on, with the gRPC status it came as. */
export function errorWords(error: unknown): string {
  const e = ConnectError.from(error);
  const status = statusName(e.code);
  switch (e.code) {
    case Code.Unauthenticated:
      return `That key was not accepted (${status}).`;
    case Code.PermissionDenied:
      return `You are not allowed to do that: ${e.rawMessage} (${status}).`;
    case Code.Unavailable:
      return `The gateway could not be reached: ${e.rawMessage} (${status}).`;
    default:
      return `${e.rawMessage} (${status}).`;
  }
}

export function isStatus(error: unknown, code: Code): boolean {
  return error instanceof ConnectError && error.code === code;
}
