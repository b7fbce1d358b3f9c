import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { temporaryDir } from './synth';

export interface LocalS3 {
  /** What `AWS_ENDPOINT_URL_S3` points at. */
  readonly endpoint: string;
  /** True when the endpoint is moto (`SGWATCH_MOTO_URL`) rather than s3rver. */
  readonly moto: boolean;
  close(): Promise<void>;
}

/** The credentials s3rver checks signatures against; moto accepts any. */
const S3RVER_KEY = 'S3RVER';

/**
 * An S3-compatible endpoint for the production code: s3rver (npm) on a free loopback port,
 * or the moto server CI names in `SGWATCH_MOTO_URL`. Points the SDK's standard variables at
 * it, so `AWS_ENDPOINT_URL_S3` is the only thing that differs from AWS.
 */
export async function startLocalS3(): Promise<LocalS3> {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: S3RVER_KEY,
    AWS_SECRET_ACCESS_KEY: S3RVER_KEY,
  });
  const moto = process.env.SGWATCH_MOTO_URL;
  if (moto !== undefined && moto !== '') {
    process.env.AWS_ENDPOINT_URL_S3 = moto;
    return { endpoint: moto, moto: true, close: () => Promise.resolve() };
  }
  // s3rver has no type declarations; its constructor, store and run() are all this uses.
  const { default: S3rver } = (await import('s3rver')) as unknown as {
    default: new (options: Record<string, unknown>) => {
      store: { listObjects: ListObjects };
      run(): Promise<{ port: number }>;
      close(): Promise<void>;
    };
  };
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: temporaryDir('sgwatch-s3rver-'),
    vhostBuckets: false,
  });
  groupAtAnyDepth(server.store);
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  process.env.AWS_ENDPOINT_URL_S3 = endpoint;
  return { endpoint, moto: false, close: () => server.close() };
}

interface ListOptions {
  readonly prefix?: string;
  readonly delimiter?: string;
  readonly maxKeys?: number;
  readonly [other: string]: unknown;
}
interface ListResult {
  objects: { key: string }[];
  commonPrefixes: string[];
  isTruncated: boolean;
}
type ListObjects = (bucket: string, options: ListOptions) => Promise<ListResult>;

/**
 * The one place s3rver 3.7.1 differs from S3 that matters here: with a delimiter it stops
 * walking one folder below the prefix, so `AWSLogs/` never shows as a common prefix when
 * its objects sit deeper (as every CloudTrail object does). S3 groups keys at any depth;
 * this lists without the delimiter and groups the keys as S3 does. Listings here stay
 * under one page, so paging is left as s3rver does it.
 */
function groupAtAnyDepth(store: { listObjects: ListObjects }): void {
  const list = store.listObjects.bind(store);
  store.listObjects = async (bucket, options) => {
    const delimiter = options.delimiter ?? '';
    if (delimiter === '') return list(bucket, options);
    const prefix = options.prefix ?? '';
    const all = await list(bucket, { ...options, delimiter: undefined, maxKeys: Infinity });
    const commonPrefixes = new Set<string>();
    const objects = all.objects.filter((object) => {
      const at = object.key.slice(prefix.length).indexOf(delimiter);
      if (at === -1) return true;
      commonPrefixes.add(object.key.slice(0, prefix.length + at + delimiter.length));
      return false;
    });
    return { objects, commonPrefixes: [...commonPrefixes].sort(), isTruncated: false };
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/**
 * Creates `bucket` and copies a local folder into it under `prefix`, keys laid out as the
 * folder is (the sample archive is already in CloudTrail's layout). Returns the keys.
 */
export async function uploadFolder(bucket: string, folder: string, prefix = ''): Promise<string[]> {
  const client = new S3Client({});
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const keys: string[] = [];
    for (const file of filesUnder(folder)) {
      const key = `${prefix}${relative(folder, file).split(sep).join('/')}`;
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(file) }),
      );
      keys.push(key);
    }
    return keys;
  } finally {
    client.destroy();
  }
}

export async function putObject(bucket: string, key: string, body: string | Buffer): Promise<void> {
  const client = new S3Client({});
  try {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  } finally {
    client.destroy();
  }
}
