// The client of a streamed exec (specs/streams/exec-stream.ts): the output written out as it comes,
// the exit code returned, an error that ended the exec thrown as its class.
import type { IncomingMessage } from 'node:http';
import { errorFromJSON } from '../specs/errdefs.ts';
import { EXEC_END, type ExecEnd } from '../specs/streams/exec-stream.ts';
import { FrameDecoder, STDERR, STDOUT } from '../specs/streams/stdcopy.ts';
import { BerthError } from '../specs/errdefs.ts';

export async function readExecStream(res: IncomingMessage): Promise<number> {
  const decoder = new FrameDecoder();
  let end: ExecEnd | undefined;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    for (const f of decoder.push(chunk)) {
      if (f.type === STDOUT) process.stdout.write(f.payload);
      else if (f.type === STDERR) process.stderr.write(f.payload);
      else if (f.type === EXEC_END) end = JSON.parse(f.payload.toString('utf8')) as ExecEnd;
    }
  }
  if (!end) throw new BerthError('the daemon ended the exec\'s stream before its exit code (did it stop?)');
  if ('error' in end) throw errorFromJSON(end.error);
  return end.exitCode;
}
