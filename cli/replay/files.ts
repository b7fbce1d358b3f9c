import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface InputFile {
  readonly path: string;
  readonly size: number;
}

export interface Discovery {
  readonly files: InputFile[];
  /** Files found in folders that are not logs (by name), listed so nothing vanishes unseen. */
  readonly ignored: string[];
  /** CloudTrail digest files: signatures of log files, not events. */
  digests: number;
  /** Paths given on the command line that do not exist or cannot be read. */
  readonly missing: { path: string; reason: string }[];
}

const LOG_FILE = /\.(json|jsonl|ndjson)(\.gz)?$/i;
const DIGEST_DIR = 'CloudTrail-Digest';

async function walk(dir: string, into: Discovery): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    into.missing.push({
      path: dir,
      reason: (error as NodeJS.ErrnoException).code ?? String(error),
    });
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === DIGEST_DIR) {
        into.digests += (await readdir(path, { recursive: true })).filter((n) =>
          LOG_FILE.test(n),
        ).length;
        continue;
      }
      await walk(path, into);
    } else if (entry.isFile()) {
      if (LOG_FILE.test(entry.name)) {
        into.files.push({ path, size: (await stat(path)).size });
      } else {
        into.ignored.push(path);
      }
    }
  }
}

/**
 * Expands the command line's paths into log files, walking folders recursively in name
 * order (CloudTrail's layout makes that time order). A file named explicitly is always
 * read, whatever its name.
 */
export async function discoverFiles(paths: readonly string[]): Promise<Discovery> {
  const found: Discovery = { files: [], ignored: [], digests: 0, missing: [] };
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      found.missing.push({
        path,
        reason:
          (error as NodeJS.ErrnoException).code === 'ENOENT'
            ? 'no such file or directory'
            : String(error),
      });
      continue;
    }
    if (info.isDirectory()) await walk(path, found);
    else found.files.push({ path, size: info.size });
  }
  return found;
}
