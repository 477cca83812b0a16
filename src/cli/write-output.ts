import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';

/**
 * Writes an export to `path` whole or not at all: into a temporary file beside it (its folder
 * made if missing), renamed over `path` only once complete. A failure halfway (the database
 * busy, the disk full) leaves no half-written file that looks like an export.
 */
export async function writeOutput<T>(path: string, write: (out: Writable) => Promise<T>): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const out = createWriteStream(tmp);
  const finished = new Promise<void>((resolve, reject) => out.on('finish', resolve).on('error', reject));
  finished.catch(() => undefined); // seen below; never an unhandled rejection while `write` runs
  try {
    const result = await write(out);
    if (!out.writableEnded) out.end();
    await finished;
    await rename(tmp, path);
    return result;
  } catch (err) {
    out.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
}
