// `exec` without a terminal in one request: POST /v1/containers/NAME/exec?stream=1 answers with this
// content type and a body of Docker's stdcopy frames (stdcopy.ts) — 1 stdout, 2 stderr as the
// process writes them — and one last frame EXEC_END whose payload is the JSON of ExecEnd: the exit
// code, or the error that ended the exec once its output had begun. The buffered form (no `stream`)
// answers ExecOutput, output and exit in one JSON document after the end; Docker's form (create an
// exec, start it hijacked, inspect it for its code) costs three round trips.
import { errorToJSON, type ErrorKind } from '../errdefs.ts';
import { frame } from './stdcopy.ts';

export const EXEC_STREAM = 'application/vnd.berth.exec-stream';
export const EXEC_END = 3;

export type ExecEnd = { exitCode: number; signal?: string } | { error: { kind: ErrorKind; message: string } };

/** The last frame: how the exec ended. */
export function execEndFrame(end: { exitCode: number; signal?: string } | { error: unknown }): Buffer {
  const value: ExecEnd = 'error' in end ? { error: errorToJSON(end.error) } : end;
  return frame(EXEC_END, Buffer.from(JSON.stringify(value)));
}
