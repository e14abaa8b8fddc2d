// Unix groups by name, from <root>/etc/group: the API socket's group (dockerd's --group) and the
// installer's check before groupadd. Node has no getgrnam(3), and the file's format is five
// colon-separated fields a line: a parser this small needs no library.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The group's id, or undefined when `<root>/etc/group` has no such group. */
export async function groupId(name: string, root = '/'): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(join(root, 'etc', 'group'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  for (const line of text.split('\n')) {
    const [group, , gid] = line.split(':');
    if (group === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return undefined;
}
