// A volume in Docker's words (`docker volume inspect`, GET /volumes/{name}): empty labels and
// options are null, as Docker prints them. For the CLI's inspect and the Docker Engine API alike.
import type { DockerVolume, VolumeSummary } from '../api/volumes.ts';

export function dockerVolume(v: VolumeSummary): DockerVolume {
  const orNull = (m: Record<string, string>) => (Object.keys(m).length ? m : null);
  return { CreatedAt: v.createdAt, Driver: v.driver, Labels: orNull(v.labels), Mountpoint: v.mountpoint, Name: v.name, Options: orNull(v.options), Scope: v.scope };
}
