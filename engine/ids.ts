// Container ids, declared once. Two rules on purpose:
//  - a container berth makes (engine.ts CreateRequest) has a 64-character lowercase hex id, as
//    Docker's do (the controller draws it at random);
//  - the runtime and the network part accept any id the OCI runtime spec allows and runc takes —
//    [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 characters — so they run bundles berth did not make
//    (runc's conformance suite, the network tests) and find them again on disk.
import { InvalidArgumentError } from '../specs/errdefs.ts';

const BERTH_ID = /^[0-9a-f]{64}$/;
const RUNTIME_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

/** A container id berth makes: 64 lowercase hex characters. */
export function isBerthContainerId(id: string): boolean {
  return BERTH_ID.test(id);
}

/** An id the runtime and the network part take (OCI's rule; also safe as a file name). */
export function isRuntimeContainerId(id: string): boolean {
  return RUNTIME_ID.test(id);
}

export function checkBerthContainerId(id: string): void {
  if (!isBerthContainerId(id)) throw new InvalidArgumentError(`container id "${id}" must be 64 lowercase hex characters`);
}

export function checkRuntimeContainerId(id: string): void {
  if (!isRuntimeContainerId(id)) throw new InvalidArgumentError(`container id "${id}" must match [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 128 characters)`);
}
