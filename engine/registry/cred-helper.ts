// Docker credential helpers (`docker-credential-<name>`, e.g. pass, secretservice, ecr-login,
// gcloud), called as Docker's CLI calls them (docker-credential-helpers' client protocol):
//   get    stdin: the server URL          stdout: {"ServerURL","Username","Secret"}
//   store  stdin: {"ServerURL","Username","Secret"}
//   erase  stdin: the server URL
// A helper that has nothing for the server prints "credentials not found in native keychain" and
// exits non-zero; any other failure is its output. A Username of "<token>" means Secret is an
// identity token (an OAuth2 refresh token), not a password.
import { spawn } from 'node:child_process';
import { UnavailableError } from '../../specs/errdefs.ts';

export const NOT_FOUND = 'credentials not found in native keychain';
export const TOKEN_USERNAME = '<token>';

export interface HelperCredentials {
  username: string;
  secret: string;
}

/** Runs `docker-credential-<helper> <action>` with `input` on stdin; its stdout, or why it failed. */
function run(helper: string, action: 'get' | 'store' | 'erase', input: string): Promise<{ ok: boolean; out: string }> {
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, [action], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdin.on('error', () => undefined); // it exited without reading: its status says why
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(
        new UnavailableError(
          e.code === 'ENOENT'
            ? `credential helper ${program} (named in the docker config's credsStore or credHelpers) is not on PATH; install it or remove it from the config`
            : `credential helper ${program}: ${e.message}`,
          { cause: e },
        ),
      );
    });
    child.on('close', (code) => resolve({ ok: code === 0, out: (out.trim() || err.trim()) }));
    child.stdin.end(input);
  });
}

function failed(helper: string, action: string, serverUrl: string, out: string): UnavailableError {
  return new UnavailableError(`credential helper docker-credential-${helper} ${action} for ${serverUrl} failed: ${out || 'no message'}`);
}

/** The helper's credentials for `serverUrl`, or undefined when it has none. */
export async function helperGet(helper: string, serverUrl: string): Promise<HelperCredentials | undefined> {
  const r = await run(helper, 'get', serverUrl);
  if (!r.ok) {
    if (r.out === NOT_FOUND) return undefined;
    throw failed(helper, 'get', serverUrl, r.out);
  }
  let body: { Username?: unknown; Secret?: unknown };
  try {
    body = JSON.parse(r.out) as typeof body;
  } catch {
    throw failed(helper, 'get', serverUrl, `it printed something that is not JSON: ${r.out.slice(0, 100)}`);
  }
  if (typeof body.Secret !== 'string' || (body.Username !== undefined && typeof body.Username !== 'string')) {
    throw failed(helper, 'get', serverUrl, 'its answer has no string Secret');
  }
  return { username: (body.Username as string | undefined) ?? '', secret: body.Secret };
}

export async function helperStore(helper: string, serverUrl: string, username: string, secret: string): Promise<void> {
  const r = await run(helper, 'store', JSON.stringify({ ServerURL: serverUrl, Username: username, Secret: secret }));
  if (!r.ok) throw failed(helper, 'store', serverUrl, r.out);
}

/** Erases what the helper keeps for `serverUrl`; true when it had something. */
export async function helperErase(helper: string, serverUrl: string): Promise<boolean> {
  const r = await run(helper, 'erase', serverUrl);
  if (r.ok) return true;
  if (r.out === NOT_FOUND) return false;
  throw failed(helper, 'erase', serverUrl, r.out);
}
