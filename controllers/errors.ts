// Which reconcile errors are worth retrying. An invalid spec (InvalidArgumentError) or a permission
// problem will fail the same way every time: it is recorded in status and a Warning event, and the
// key waits for the next change instead of being retried (controller-runtime's TerminalError).
import { BerthError, InvalidArgumentError, NotFoundError, PermissionDeniedError, UnavailableError } from '../specs/errdefs.ts';

/** Wraps any error to mark it as not worth retrying. */
export class TerminalError extends BerthError {
  override readonly httpStatus = 422;
}

export function isTerminal(err: unknown): boolean {
  if (err instanceof TerminalError || err instanceof PermissionDeniedError) return true;
  if (!(err instanceof InvalidArgumentError)) return false;
  // A located error (a Dockerfile's FROM line) whose cause may go away by itself — a base image
  // another Image object is still building, a registry that is down — is worth retrying.
  const cause = (err as { cause?: unknown }).cause;
  return !(cause instanceof UnavailableError || cause instanceof NotFoundError);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
