/**
 * `sgwatch replay s3://BUCKET/PREFIX`: lists a trail bucket the way CloudTrail lays it out
 * (`[prefix/]AWSLogs/[o-…/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/`), descending only into the
 * accounts, Regions and days the filters allow, and streams the objects through the same
 * scan as local files, a few at a time, so memory stays bounded whatever the bucket holds.
 *
 * The client comes from the standard credential chain and honours `AWS_ENDPOINT_URL_S3`.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { trailDay } from '../../lambda/core/hunt/trail-table';
import { UsageError } from '../args';
import { NoLogsError } from './files';
import type { ScanSource } from './run';
import type { FileScan, RecordFilter, ScanOptions } from './scan';
import { failedScan, scanBuffer } from './scan';

export interface S3Location {
  readonly bucket: string;
  readonly prefix: string;
}

export interface S3Object {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
}

export interface S3Listing {
  readonly objects: S3Object[];
  /** Objects under the prefixes that are not log files (by name), as `s3://` URIs. */
  readonly ignored: string[];
  /** CloudTrail-Digest prefixes passed over. */
  digestPrefixes: number;
  /** Every prefix listed, in order: what pruning left to read. */
  readonly listed: string[];
}

/** Listings and downloads in flight at once: enough to hide S3's latency, little memory. */
export const S3_CONCURRENCY = 8;

const LOG_FILE = /\.(json|jsonl|ndjson)(\.gz)?$/i;
const DIGEST = 'CloudTrail-Digest';
const ACCOUNT = /^\d{12}$/;
const ORGANIZATION = /^o-[a-z0-9]{10,32}$/;
/** CloudTrail files land in the day folder of their delivery, after their events. */
const DAY_MS = 24 * 60 * 60 * 1000;

/** A failure reading S3 that stops the run; the message says what to do. */
export class S3SourceError extends Error {
  override readonly name = 'S3SourceError';
}

export function isS3Uri(path: string): boolean {
  return /^s3:\/\//i.test(path);
}

export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(uri);
  const bucket = match?.[1];
  if (bucket === undefined || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new UsageError(`"${uri}" is not an S3 location: write s3://BUCKET/PREFIX`);
  }
  return { bucket, prefix: match?.[2] ?? '' };
}

/** Orders keys as the local folder walk orders paths: segment by segment. */
export function compareKeys(a: string, b: string): number {
  const left = a.split('/');
  const right = b.split('/');
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const x = left[i] ?? '';
    const y = right[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return left.length - right.length;
}

interface DayRange {
  readonly from: string;
  readonly to: string;
}

function dayRangeOf(filter: RecordFilter): DayRange {
  return {
    from: filter.since === undefined ? '0000/00/00' : trailDay(filter.since - DAY_MS),
    to: filter.until === undefined ? '9999/99/99' : trailDay(filter.until + DAY_MS),
  };
}

/**
 * Whether a prefix (a folder, as segments) can hold records the filter keeps. Folders
 * outside the CloudTrail layout are always entered.
 */
export function prefixInRange(segments: readonly string[], filter: RecordFilter): boolean {
  const logs = segments.indexOf('AWSLogs');
  if (logs === -1) return true;
  let at = logs + 1;
  if (ORGANIZATION.test(segments[at] ?? '')) at += 1;
  const account = segments[at];
  if (account === undefined) return true;
  if (filter.accounts !== undefined && ACCOUNT.test(account) && !filter.accounts.includes(account))
    return false;
  const service = segments[at + 1];
  if (service === undefined) return true;
  if (service === DIGEST) return false;
  if (service !== 'CloudTrail') return true;
  const region = segments[at + 2];
  if (region === undefined) return true;
  if (filter.regions !== undefined && !filter.regions.includes(region)) return false;
  const date = segments.slice(at + 3, at + 6);
  if (date.length === 0 || !date.every((part) => /^\d+$/.test(part))) return true;
  const partial = date.join('/');
  const { from, to } = dayRangeOf(filter);
  return partial >= from.slice(0, partial.length) && partial <= to.slice(0, partial.length);
}

function describeFailure(error: unknown, action: string, what: string): S3SourceError {
  const name = (error as { name?: string } | null)?.name ?? '';
  const message = (error as Error | null)?.message ?? String(error);
  if (name === 'AccessDenied' || name === 'Forbidden' || /access denied/i.test(message)) {
    return new S3SourceError(
      `access denied reading ${what}: your AWS identity needs ${action} on it`,
      { cause: error },
    );
  }
  if (name === 'NoSuchBucket') {
    return new S3SourceError(`no bucket ${what}: check the s3:// location`, { cause: error });
  }
  return new S3SourceError(`cannot read ${what}: ${message.split('\n')[0] ?? name}`, {
    cause: error,
  });
}

/** Runs `work` over `items` with at most `limit` at once, results in input order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  });
  await Promise.all(runners);
  return results;
}

interface Level {
  readonly files: S3Object[];
  readonly ignored: string[];
  readonly folders: string[];
}

async function listLevel(client: S3Client, bucket: string, prefix: string): Promise<Level> {
  const level: Level = { files: [], ignored: [], folders: [] };
  let token: string | undefined;
  do {
    let page;
    try {
      page = await client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          Delimiter: '/',
          ...(token !== undefined ? { ContinuationToken: token } : {}),
        }),
      );
    } catch (error) {
      throw describeFailure(error, 's3:ListBucket', `s3://${bucket}/${prefix}`);
    }
    for (const folder of page.CommonPrefixes ?? []) {
      if (folder.Prefix !== undefined) level.folders.push(folder.Prefix);
    }
    for (const object of page.Contents ?? []) {
      const key = object.Key;
      if (key === undefined || key.endsWith('/')) continue;
      if (LOG_FILE.test(key)) level.files.push({ bucket, key, size: object.Size ?? 0 });
      else level.ignored.push(`s3://${bucket}/${key}`);
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return level;
}

/**
 * Lists the log files under `location`, entering only the folders the filter can use, in
 * the order a local replay of the same files would read them.
 */
export async function listS3(
  client: S3Client,
  location: S3Location,
  filter: RecordFilter,
): Promise<S3Listing> {
  const listing: S3Listing = { objects: [], ignored: [], digestPrefixes: 0, listed: [] };
  type Entry = { kind: 'file'; object: S3Object } | { kind: 'folder'; prefix: string };
  const walk = async (prefix: string): Promise<Entry[]> => {
    listing.listed.push(prefix);
    const level = await listLevel(client, location.bucket, prefix);
    listing.ignored.push(...level.ignored);
    const folders = level.folders.filter((folder) => {
      const segments = folder.replace(/\/$/, '').split('/');
      if (segments[segments.length - 1] === DIGEST) {
        listing.digestPrefixes += 1;
        return false;
      }
      return prefixInRange(segments, filter);
    });
    const below = await mapLimited(folders, S3_CONCURRENCY, walk);
    const entries: { name: string; entries: Entry[] }[] = [
      ...level.files.map((object) => ({
        name: object.key,
        entries: [{ kind: 'file' as const, object }],
      })),
      ...folders.map((folder, i) => ({ name: folder.replace(/\/$/, ''), entries: below[i] ?? [] })),
    ];
    entries.sort((a, b) => compareKeys(a.name, b.name));
    return entries.flatMap((entry) => entry.entries);
  };
  const startSegments = location.prefix.split('/').filter((part) => part !== '');
  if (startSegments.length > 0 && !prefixInRange(startSegments, filter)) return listing;
  for (const entry of await walk(location.prefix)) {
    if (entry.kind === 'file') listing.objects.push(entry.object);
  }
  return listing;
}

async function download(client: S3Client, object: S3Object): Promise<Buffer> {
  const response = await client.send(
    new GetObjectCommand({ Bucket: object.bucket, Key: object.key }),
  );
  if (response.Body === undefined) return Buffer.alloc(0);
  return Buffer.from(await response.Body.transformToByteArray());
}

/**
 * Objects as a replay source: up to `concurrency` downloads run ahead of the scan, each
 * object held in memory only until it is scanned; results come in listing order.
 */
export function s3Source(
  client: S3Client,
  objects: readonly S3Object[],
  concurrency = S3_CONCURRENCY,
): ScanSource {
  return {
    files: objects.length,
    bytes: objects.reduce((sum, object) => sum + object.size, 0),
    async *scans(options: ScanOptions): AsyncGenerator<FileScan> {
      const pending: Promise<Buffer | Error>[] = [];
      let next = 0;
      const fill = (): void => {
        while (pending.length < concurrency && next < objects.length) {
          const object = objects[next++] as S3Object;
          pending.push(
            download(client, object).catch((error: unknown) =>
              describeFailure(error, 's3:GetObject', `s3://${object.bucket}/${object.key}`),
            ),
          );
        }
      };
      fill();
      for (const object of objects) {
        const data = await (pending.shift() as Promise<Buffer | Error>);
        fill();
        const path = `s3://${object.bucket}/${object.key}`;
        yield data instanceof Error
          ? failedScan(path, 0, data.message)
          : scanBuffer(path, data, options);
      }
    },
  };
}

/** The S3 client of the standard chain; the bucket's own Region is followed when it differs. */
export async function createS3Client(env: NodeJS.ProcessEnv): Promise<S3Client> {
  const { S3Client: Client } = await import('@aws-sdk/client-s3');
  const configured = [env.AWS_REGION, env.AWS_DEFAULT_REGION].find(
    (value) => value !== undefined && value.trim() !== '',
  );
  const probe = new Client({});
  let region = configured?.trim();
  if (region === undefined) {
    try {
      region = await probe.config.region();
    } catch {
      // No Region anywhere: S3 answers from us-east-1 and redirects to the bucket's Region.
      region = 'us-east-1';
    } finally {
      probe.destroy();
    }
  } else {
    probe.destroy();
  }
  return new Client({ region, followRegionRedirects: true });
}

export interface S3Inputs {
  readonly source: ScanSource;
  readonly ignored: readonly string[];
  readonly digestPrefixes: number;
  close(): void;
}

/** Lists every `s3://` argument (pruned by the filter) into one replay source. */
export async function openS3Inputs(
  uris: readonly string[],
  filter: RecordFilter,
  env: NodeJS.ProcessEnv,
): Promise<S3Inputs> {
  const locations = uris.map(parseS3Uri);
  const client = await createS3Client(env);
  try {
    const objects: S3Object[] = [];
    const ignored: string[] = [];
    let digestPrefixes = 0;
    for (const location of locations) {
      // A log file named in full (as hunt names them) is read as it is, without a listing.
      if (LOG_FILE.test(location.prefix)) {
        objects.push({ bucket: location.bucket, key: location.prefix, size: 0 });
        continue;
      }
      const listing = await listS3(client, location, filter);
      if (listing.objects.length === 0) {
        const filtered = Object.values(filter).some((value) => value !== undefined);
        // As for an empty folder: nothing to read is a mistake in the command, not a result.
        throw new NoLogsError(
          `no CloudTrail logs under s3://${location.bucket}/${location.prefix}${
            filtered ? ' within --since/--until/--account/--region' : ''
          }${listing.ignored.length > 0 ? `: none of its ${listing.ignored.length} object(s) is a .json, .jsonl or .json.gz log` : ''}`,
        );
      }
      objects.push(...listing.objects);
      ignored.push(...listing.ignored);
      digestPrefixes += listing.digestPrefixes;
    }
    return {
      source: s3Source(client, objects),
      ignored,
      digestPrefixes,
      close: () => client.destroy(),
    };
  } catch (error) {
    client.destroy();
    throw error;
  }
}
