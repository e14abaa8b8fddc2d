// Which reconcile errors are worth retrying. An invalid spec (InvalidArgumentError) or a permission
// problem will fail the same way every time: it is recorded in status and a Warning event, and the
// key waits for the next change instead of being retried (controller-runtime's TerminalError).
import { BerthError, InvalidArgumentError, PermissionDeniedError } from '../specs/errdefs.ts';

/** Wraps any error to mark it as not worth retrying. */
export class TerminalError extends BerthError {
  override readonly httpStatus = 422;
}

export function isTerminal(err: unknown): boolean {
  return err instanceof TerminalError || err instanceof InvalidArgumentError || err instanceof PermissionDeniedError;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
