// `berth daemon install-service`: installs berth.service and berth.socket (this directory) into
// <prefix>/etc/systemd/system, with ExecStart naming the berth that runs this, and creates the
// system group `berth` the socket belongs to (0660, as Docker's `docker` group). A daemon-side
// verb, as the CLI never touches the host's files. It prints each thing it did; enabling the
// units is left to systemctl (printed as the next step), as a package's postinst would do it.
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FailedPreconditionError } from '../../specs/errdefs.ts';
import { groupId } from './groups.ts';

export const UNITS = ['berth.service', 'berth.socket'] as const;
export const SOCKET_GROUP = 'berth';
/** systemd's default PATH for services: a node elsewhere must be named in ExecStart. */
const SYSTEMD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'.split(delimiter);

export interface InstallOptions {
  /** Root under which etc/systemd/system and etc/group are (default /). */
  prefix?: string;
  /** The berth command ExecStart runs (default: the one running now). */
  bin?: string;
  out?: (line: string) => void;
}

/** The unit files shipped with berth: server/systemd/ in the checkout or package (this file's directory, or its source's under dist/). */
async function unitText(name: string): Promise<string> {
  const here = dirname(fileURLToPath(import.meta.url));
  // here: server/systemd/ (sources), dist/server/systemd/ (tsc's output), dist/daemon/ (the bundle).
  for (const dir of [here, resolve(here, '../../../server/systemd'), resolve(here, '../../server/systemd')]) {
    try {
      return await readFile(join(dir, name), 'utf8');
    } catch {
      // try the source tree
    }
  }
  throw new FailedPreconditionError(`${name} is not beside ${here}: reinstall berth (the package ships server/systemd/)`);
}

/** ExecStart for `bin` (a `#!/usr/bin/env node` script): the node running this is named too unless it is on systemd's PATH. */
export function execStart(bin: string, node = process.execPath): string {
  return `${SYSTEMD_PATH.includes(dirname(node)) ? '' : `${node} `}${bin} daemon -H fd://`;
}

export async function installService(o: InstallOptions = {}): Promise<void> {
  const prefix = resolve(o.prefix ?? '/');
  const out = o.out ?? ((l: string) => void process.stdout.write(`${l}\n`));
  const bin = resolve(o.bin ?? process.argv[1] ?? 'berth');
  const unitDir = join(prefix, 'etc', 'systemd', 'system');
  await mkdir(unitDir, { recursive: true, mode: 0o755 });
  for (const name of UNITS) {
    let text = await unitText(name);
    if (name === 'berth.service') text = text.replace(/^ExecStart=.*$/m, `ExecStart=${execStart(bin)}`);
    const path = join(unitDir, name);
    const before = await readFile(path, 'utf8').catch(() => undefined);
    if (before === text) {
      out(`unchanged ${path}`);
      continue;
    }
    await writeFile(`${path}.tmp`, text, { mode: 0o644 });
    await rename(`${path}.tmp`, path);
    out(`${before === undefined ? 'installed' : 'updated'} ${path}${name === 'berth.service' ? ` (ExecStart=${execStart(bin)})` : ''}`);
  }
  const gid = await groupId(SOCKET_GROUP, prefix);
  if (gid !== undefined) {
    out(`group ${SOCKET_GROUP} exists (gid ${gid})`);
  } else {
    const args = [...(prefix === '/' ? [] : ['--prefix', prefix]), '--system', SOCKET_GROUP];
    const r = spawnSync('groupadd', args, { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      throw new FailedPreconditionError(`groupadd ${args.join(' ')} failed: ${r.error?.message ?? r.stderr.trim()}; create the group ${SOCKET_GROUP} yourself, then run this again`);
    }
    out(`created the group ${SOCKET_GROUP} (gid ${await groupId(SOCKET_GROUP, prefix)}): its members may use the API socket without sudo (usermod -aG ${SOCKET_GROUP} USER)`);
  }
  out(`next: systemctl daemon-reload && systemctl enable --now berth.socket berth.service`);
}
