// Typed errors shared by every layer, checked by class (never by message), as containerd's errdefs.
// Every message says what went wrong, on which object or path, and what to do about it.

export class BerthError extends Error {
  /** HTTP status the API answers with for this class of error. */
  readonly httpStatus: number = 500;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends BerthError { override readonly httpStatus = 404; }
export class AlreadyExistsError extends BerthError { override readonly httpStatus = 409; }
export class InvalidArgumentError extends BerthError { override readonly httpStatus = 400; }
export class FailedPreconditionError extends BerthError { override readonly httpStatus = 412; }
export class ConflictError extends BerthError { override readonly httpStatus = 409; }
export class UnavailableError extends BerthError { override readonly httpStatus = 503; }
export class PermissionDeniedError extends BerthError { override readonly httpStatus = 403; }
/** A verb berth does not offer at all (Docker's swarm, plugins): 501, as dockerd answers for what it cannot do. */
export class UnimplementedError extends BerthError { override readonly httpStatus = 501; }

export const errorClasses = {
  NotFoundError,
  AlreadyExistsError,
  InvalidArgumentError,
  FailedPreconditionError,
  ConflictError,
  UnavailableError,
  PermissionDeniedError,
  UnimplementedError,
} as const;

export type ErrorKind = keyof typeof errorClasses | 'BerthError';

/** Each class's kind by identity, not by its `name`: a bundler may rename a class (NotFoundError2). */
const KIND_OF = new Map<typeof BerthError, ErrorKind>(Object.entries(errorClasses).map(([kind, cls]) => [cls, kind as ErrorKind]));

/** Serialised form on the wire: the API sends `{error: {kind, message}}`; the client rebuilds the class. */
export function errorToJSON(err: unknown): { kind: ErrorKind; message: string } {
  if (err instanceof BerthError) {
    // A subclass (e.g. ManifestInvalidError extends InvalidArgumentError) travels as its nearest known class.
    for (let c = err.constructor as typeof BerthError; c && c !== BerthError; c = Object.getPrototypeOf(c)) {
      const kind = KIND_OF.get(c);
      if (kind) return { kind, message: err.message };
    }
    return { kind: 'BerthError', message: err.message };
  }
  return { kind: 'BerthError', message: err instanceof Error ? err.message : String(err) };
}

export function errorFromJSON(body: { kind?: string; message?: string }): BerthError {
  const cls = (errorClasses as Record<string, typeof BerthError>)[body.kind ?? ''] ?? BerthError;
  return new cls(body.message ?? 'unknown error');
}

export function isErrorOf<T extends typeof BerthError>(err: unknown, cls: T): err is InstanceType<T> {
  return err instanceof cls;
}
