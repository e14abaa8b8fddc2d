// A located Dockerfile error: `Dockerfile:LINE:COL: INSTRUCTION: message`, as the user needs it to
// find the line in their editor. It is an InvalidArgumentError (HTTP 400; the CLI prints it as is).
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import type { Location } from '../../specs/api/common.ts';

export class DockerfileError extends InvalidArgumentError {
  readonly location: Location;
  readonly instruction: string | undefined;
  constructor(loc: Location, instruction: string | undefined, message: string, options?: { cause?: unknown }) {
    super(`${loc.file}:${loc.line}:${loc.col}: ${instruction ? `${instruction}: ` : ''}${message}`, options);
    this.location = loc;
    this.instruction = instruction;
  }
}
