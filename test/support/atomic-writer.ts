import { mkdir, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

let generation = 0;

/**
 * Updates `dir` exactly the way the kubelet's atomic writer projects a
 * ConfigMap volume: write the payload into a new hidden timestamped
 * directory, point a temporary `..data_tmp` symlink at it, rename that over
 * `..data` (the atomic step), make sure every key has a top-level symlink
 * through `..data`, drop symlinks of keys that are gone, then remove the old
 * timestamped directory. Readers of `dir/<key>` see the old or the new
 * content, never a mix. `swappedAt` is the performance.now() of the swap.
 */
export async function writeConfigMapVolume(
  dir: string,
  payload: Readonly<Record<string, string>>,
): Promise<{ swappedAt: number }> {
  await mkdir(dir, { recursive: true });
  const previous = await readlink(join(dir, '..data')).catch(() => undefined);
  generation += 1;
  const stamp = new Date().toISOString().replace(/[-:T]/g, '_').replace(/\..*$/, '');
  const versioned = `..${stamp}.${process.pid}${String(generation).padStart(6, '0')}`;
  await mkdir(join(dir, versioned));
  for (const [key, content] of Object.entries(payload)) await writeFile(join(dir, versioned, key), content);
  await rm(join(dir, '..data_tmp'), { force: true });
  await symlink(versioned, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  const swappedAt = performance.now();
  for (const key of Object.keys(payload)) {
    await symlink(join('..data', key), join(dir, key)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
  for (const entry of await readdir(dir)) {
    if (!entry.startsWith('..') && !Object.hasOwn(payload, entry))
      await rm(join(dir, entry), { force: true });
  }
  if (previous !== undefined && previous !== versioned)
    await rm(join(dir, previous), { recursive: true, force: true });
  return { swappedAt };
}
