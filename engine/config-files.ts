// A `files` volume (a ConfigMap's or Secret's data as a Pod mounts them, specs/schema.ts): its
// items written under the container's directory, mode as asked (0644 unless given), and the volume
// turned into a read-only bind of that directory — so the mount machinery needs nothing new.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CreateRequest } from './engine.ts';

type Spec = CreateRequest['spec'];

export async function writeFilesVolumes(spec: Spec, dir: string): Promise<Spec> {
  const filesVolumes = spec.volumes?.filter((v) => v.files) ?? [];
  if (!filesVolumes.length) return spec;
  const names = new Set(filesVolumes.map((v) => v.name));
  const volumes: NonNullable<Spec['volumes']> = [];
  for (const v of spec.volumes!) {
    if (!v.files) {
      volumes.push(v);
      continue;
    }
    const root = join(dir, 'files', v.name);
    await mkdir(root, { recursive: true, mode: 0o755 });
    for (const item of v.files.items) {
      const path = join(root, item.path);
      await mkdir(dirname(path), { recursive: true, mode: 0o755 });
      await writeFile(path, Buffer.from(item.content, 'base64'));
      await chmod(path, item.mode ?? 0o644);
    }
    volumes.push({ name: v.name, hostPath: { path: root, type: 'Directory' } });
  }
  // Kubernetes mounts ConfigMaps and Secrets read-only.
  const volumeMounts = spec.volumeMounts?.map((m) => (names.has(m.name) ? { ...m, readOnly: true } : m));
  return { ...spec, volumes, ...(volumeMounts ? { volumeMounts } : {}) };
}
