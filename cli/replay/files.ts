import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
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
  /** Folders met while walking that cannot be read. */
  readonly missing: { path: string; reason: string }[];
}

/** A path on the command line that gives replay nothing to read; the message names it. */
export class NoLogsError extends Error {
  override readonly name = 'NoLogsError';
}

function whyNoLogs(path: string, ignored: number, digests: number, example?: string): string {
  if (ignored === 0 && digests === 0) {
    return `no CloudTrail logs in ${path}: the folder is empty`;
  }
  if (ignored === 0) {
    return `no CloudTrail logs in ${path}: it holds only CloudTrail digest files (give the folder of the logs, e.g. AWSLogs/)`;
  }
  return `no CloudTrail logs in ${path}: none of its ${ignored} file(s) is a .json, .jsonl or .json.gz log (e.g. ${example ?? ''})`;
}

const LOG_FILE = /\.(json|jsonl|ndjson)(\.gz)?$/i;
const DIGEST_DIR = 'CloudTrail-Digest';

/**
 * Walks `dir` into `into`. Symbolic links are followed, to files and folders alike (a
 * folder of links to archives is a common way to pick what to replay); one that points
 * nowhere is listed as missing, and a folder already walked (a link loop) is not walked
 * again.
 */
async function walk(dir: string, into: Discovery, walked: Set<string>): Promise<void> {
  let entries: Dirent[];
  try {
    walked.add(await realpath(dir));
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
    let kind: 'dir' | 'file' | 'other' = entry.isDirectory()
      ? 'dir'
      : entry.isFile()
        ? 'file'
        : 'other';
    if (entry.isSymbolicLink()) {
      try {
        const target = await stat(path);
        kind = target.isDirectory() ? 'dir' : target.isFile() ? 'file' : 'other';
        if (kind === 'dir' && walked.has(await realpath(path))) continue;
      } catch (error) {
        into.missing.push({
          path,
          reason: `a symbolic link to nothing (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        });
        continue;
      }
    }
    if (kind === 'dir') {
      if (entry.name === DIGEST_DIR) {
        into.digests += (await readdir(path, { recursive: true })).filter((n) =>
          LOG_FILE.test(n),
        ).length;
        continue;
      }
      await walk(path, into, walked);
    } else if (kind === 'file') {
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
 * read, whatever its name. Throws NoLogsError for a path that does not exist, or a folder
 * that holds no log file: replay would otherwise report success over nothing.
 */
export async function discoverFiles(paths: readonly string[]): Promise<Discovery> {
  const found: Discovery = { files: [], ignored: [], digests: 0, missing: [] };
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new NoLogsError(
        code === 'ENOENT'
          ? `${path} does not exist`
          : `cannot read ${path} (${code ?? String(error)})`,
        { cause: error },
      );
    }
    if (!info.isDirectory()) {
      found.files.push({ path, size: info.size });
      continue;
    }
    const before = {
      files: found.files.length,
      ignored: found.ignored.length,
      digests: found.digests,
    };
    await walk(path, found, new Set());
    if (found.files.length === before.files) {
      throw new NoLogsError(
        whyNoLogs(
          path,
          found.ignored.length - before.ignored,
          found.digests - before.digests,
          found.ignored[before.ignored],
        ),
      );
    }
  }
  return found;
}
