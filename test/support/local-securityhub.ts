/**
 * A local stand-in for the AWS Security Hub API, for integration tests that run the real
 * `@aws-sdk/client-securityhub` (REST-JSON serializer, error parsing, retries) without an AWS
 * account. Production code finds it only through `AWS_ENDPOINT_URL_SECURITYHUB`.
 *
 * Operations: EnableSecurityHub (POST /accounts), DescribeHub (GET /accounts),
 * BatchImportFindings (POST /findings/import), BatchUpdateFindings (PATCH
 * /findings/batchupdate) and GetFindings (POST /findings, a subset of the filters).
 *
 * As strict as the documentation: a hub that is not enabled answers every call with HTTP 401
 * `InvalidAccessException`; each imported finding must pass the ASFF rules (required fields,
 * 1-32 resources, field lengths, RFC 3339 timestamps, SchemaVersion 2018-10-08, a default
 * product ARN and `AwsAccountId` of the calling account) or it is returned in
 * `FailedFindings`; an import cannot change `Workflow` or `Note` of an existing finding, and
 * an import whose `UpdatedAt` is not newer than the stored one changes nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { asffProblems } from './asff-validator';
import { closeServer, listenOnLoopback, readLimitedBody } from './loopback';

type Json = Record<string, unknown>;

export interface LocalSecurityHubOptions {
  /** The account every request comes from. @default '111122223333' */
  readonly account?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Start with Security Hub enabled. @default false - as a fresh account */
  readonly enabled?: boolean;
}

export interface InjectedFailure {
  readonly status: number;
  readonly code: string;
}

export interface LocalSecurityHub {
  readonly url: string;
  readonly account: string;
  readonly region: string;
  /** The account's default product, the only one findings may be imported under here. */
  readonly productArn: string;
  /** Stored findings by Id, as Security Hub holds them (workflow updates applied). */
  readonly findings: ReadonlyMap<string, Json>;
  /** Every request received, rejected and injected failures included. */
  readonly requests: number;
  failNext(count: number, failure: InjectedFailure): void;
  disable(): void;
  close(): Promise<void>;
}

const MAX_REQUEST_BYTES = 8 * 1024 * 1024;
const WORKFLOW_STATUSES = new Set(['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED']);
/** GetFindings filters this endpoint understands, and where they read the finding. */
const FILTER_FIELDS: Readonly<Record<string, (finding: Json) => unknown>> = {
  Id: (f) => f.Id,
  ProductArn: (f) => f.ProductArn,
  GeneratorId: (f) => f.GeneratorId,
  AwsAccountId: (f) => f.AwsAccountId,
  RecordState: (f) => f.RecordState,
  WorkflowStatus: (f) => (f.Workflow as Json | undefined)?.Status,
};

class HubError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function invalidInput(message: string): HubError {
  return new HubError(400, 'InvalidInputException', message);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readJson(request: IncomingMessage): Promise<Json> {
  const body = await readLimitedBody(request, MAX_REQUEST_BYTES, () =>
    invalidInput('Request body too large.'),
  );
  if (body.length === 0) return {};
  const type = request.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) {
    throw invalidInput(`Security Hub speaks REST-JSON; got content-type "${type}".`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalidInput('The request body is not valid JSON.');
  }
  if (!isObject(parsed)) throw invalidInput('The request body must be a JSON object.');
  return parsed;
}

function matchesFilter(finding: Json, filters: Json): boolean {
  return Object.entries(filters).every(([key, conditions]) => {
    const read = FILTER_FIELDS[key];
    if (read === undefined)
      throw invalidInput(`The local endpoint does not support filter ${key}.`);
    if (!Array.isArray(conditions) || conditions.length === 0 || conditions.length > 20) {
      throw invalidInput(`Filter ${key} must have 1-20 conditions.`);
    }
    const value = read(finding);
    const text = typeof value === 'string' ? value : '';
    const checks = (conditions as unknown[]).map((condition) => {
      if (!isObject(condition) || typeof condition.Value !== 'string') {
        throw invalidInput(`Filter ${key}: each condition needs a string Value.`);
      }
      switch (condition.Comparison) {
        case 'EQUALS':
          return { positive: true, ok: text === condition.Value };
        case 'PREFIX':
          return { positive: true, ok: text.startsWith(condition.Value) };
        case 'NOT_EQUALS':
          return { positive: false, ok: text !== condition.Value };
        default:
          throw invalidInput(
            `Filter ${key}: comparison ${JSON.stringify(condition.Comparison)} is not supported.`,
          );
      }
    });
    // As documented: positive conditions are ORed, negative ones ANDed.
    const positives = checks.filter((c) => c.positive);
    const negatives = checks.filter((c) => !c.positive);
    return (positives.length === 0 || positives.some((c) => c.ok)) && negatives.every((c) => c.ok);
  });
}

export async function startLocalSecurityHub(
  options: LocalSecurityHubOptions = {},
): Promise<LocalSecurityHub> {
  const account = options.account ?? '111122223333';
  const region = options.region ?? 'us-east-1';
  const productArn = `arn:aws:securityhub:${region}:${account}:product/${account}/default`;
  const hubArn = `arn:aws:securityhub:${region}:${account}:hub/default`;
  const findings = new Map<string, Json>();
  let enabled = options.enabled ?? false;
  let enabledAt = enabled ? new Date().toISOString() : undefined;
  let requests = 0;
  let failures: { remaining: number; failure: InjectedFailure } | undefined;

  function requireEnabled(): void {
    if (!enabled) {
      throw new HubError(
        401,
        'InvalidAccessException',
        `Account ${account} is not subscribed to AWS Security Hub`,
      );
    }
  }

  function importFindings(body: Json): Json {
    requireEnabled();
    const batch = body.Findings;
    if (!Array.isArray(batch) || batch.length < 1 || batch.length > 100) {
      throw invalidInput('Findings must be a list of 1-100 findings.');
    }
    const failed: Json[] = [];
    for (const finding of batch as unknown[]) {
      const problems = asffProblems(finding, account);
      const id = isObject(finding) && typeof finding.Id === 'string' ? finding.Id : '';
      if (problems.length > 0 || !isObject(finding)) {
        failed.push({ Id: id, ErrorCode: 'InvalidInput', ErrorMessage: problems.join('; ') });
        continue;
      }
      const stored = findings.get(id);
      if (stored !== undefined && String(finding.UpdatedAt) <= String(stored.UpdatedAt)) continue;
      findings.set(id, {
        ...finding,
        // Once a finding exists, only BatchUpdateFindings changes its workflow and note.
        ...(stored !== undefined
          ? { Workflow: stored.Workflow, Note: stored.Note }
          : { Workflow: finding.Workflow ?? { Status: 'NEW' } }),
        Region: region,
      });
    }
    return {
      FailedCount: failed.length,
      SuccessCount: batch.length - failed.length,
      FailedFindings: failed,
    };
  }

  function updateFindings(body: Json): Json {
    requireEnabled();
    const identifiers = body.FindingIdentifiers;
    if (!Array.isArray(identifiers) || identifiers.length < 1 || identifiers.length > 100) {
      throw invalidInput('FindingIdentifiers must be a list of 1-100 identifiers.');
    }
    const workflow = body.Workflow;
    if (
      workflow !== undefined &&
      (!isObject(workflow) || !WORKFLOW_STATUSES.has(String(workflow.Status)))
    ) {
      throw invalidInput('Workflow.Status must be NEW, NOTIFIED, RESOLVED or SUPPRESSED.');
    }
    const note = body.Note;
    if (note !== undefined) {
      if (
        !isObject(note) ||
        typeof note.Text !== 'string' ||
        note.Text.length < 1 ||
        note.Text.length > 512
      ) {
        throw invalidInput('Note.Text must be 1-512 characters.');
      }
      if (
        typeof note.UpdatedBy !== 'string' ||
        note.UpdatedBy.length < 1 ||
        note.UpdatedBy.length > 512
      ) {
        throw invalidInput('Note.UpdatedBy must be 1-512 characters.');
      }
    }
    if (workflow === undefined && note === undefined) {
      throw invalidInput('Nothing to update: give Workflow or Note (or another updatable field).');
    }
    const processed: Json[] = [];
    const unprocessed: Json[] = [];
    for (const identifier of identifiers as unknown[]) {
      const id = isObject(identifier) ? identifier.Id : undefined;
      const product = isObject(identifier) ? identifier.ProductArn : undefined;
      const stored = typeof id === 'string' ? findings.get(id) : undefined;
      if (stored === undefined || stored.ProductArn !== product) {
        unprocessed.push({
          FindingIdentifier: identifier,
          ErrorCode: 'FindingNotFound',
          ErrorMessage: 'Finding not found',
        });
        continue;
      }
      const now = new Date().toISOString();
      findings.set(stored.Id as string, {
        ...stored,
        ...(workflow !== undefined ? { Workflow: { Status: workflow.Status } } : {}),
        ...(isObject(note)
          ? { Note: { Text: note.Text, UpdatedBy: note.UpdatedBy, UpdatedAt: now } }
          : {}),
      });
      processed.push({ Id: stored.Id, ProductArn: stored.ProductArn });
    }
    return { ProcessedFindings: processed, UnprocessedFindings: unprocessed };
  }

  function getFindings(body: Json): Json {
    requireEnabled();
    const filters = isObject(body.Filters) ? body.Filters : {};
    const max = body.MaxResults ?? 100;
    if (!Number.isInteger(max) || (max as number) < 1 || (max as number) > 100) {
      throw invalidInput('MaxResults must be a number from 1 to 100.');
    }
    const matching = [...findings.values()].filter((finding) => matchesFilter(finding, filters));
    // Newest update first, the order the console and doctor want.
    matching.sort((a, b) => String(b.UpdatedAt).localeCompare(String(a.UpdatedAt)));
    return { Findings: matching.slice(0, max as number) };
  }

  async function route(request: IncomingMessage): Promise<Json> {
    const path = new URL(request.url ?? '/', 'http://local').pathname;
    const body = await readJson(request);
    const key = `${request.method ?? ''} ${path}`;
    switch (key) {
      case 'POST /accounts':
        if (enabled)
          throw new HubError(
            409,
            'ResourceConflictException',
            'Account is already subscribed to Security Hub',
          );
        enabled = true;
        enabledAt = new Date().toISOString();
        return {};
      case 'GET /accounts':
        requireEnabled();
        return { HubArn: hubArn, SubscribedAt: enabledAt, AutoEnableControls: true };
      case 'POST /findings/import':
        return importFindings(body);
      case 'PATCH /findings/batchupdate':
        return updateFindings(body);
      case 'POST /findings':
        return getFindings(body);
      default:
        throw new HubError(
          404,
          'ResourceNotFoundException',
          `The local endpoint does not implement ${key}.`,
        );
    }
  }

  function reply(response: ServerResponse, status: number, body: Json, errorType?: string): void {
    response.writeHead(status, {
      'content-type': 'application/json',
      ...(errorType !== undefined ? { 'x-amzn-errortype': errorType } : {}),
    });
    response.end(JSON.stringify(body));
  }

  const server = createServer((request, response) => {
    requests += 1;
    if (failures !== undefined && failures.remaining > 0) {
      failures.remaining -= 1;
      const { status, code } = failures.failure;
      request.resume();
      reply(response, status, { Code: code, Message: `injected ${code}` }, code);
      return;
    }
    route(request).then(
      (body) => reply(response, 200, body),
      (error: unknown) => {
        const hubError =
          error instanceof HubError ? error : new HubError(500, 'InternalException', String(error));
        reply(
          response,
          hubError.status,
          { Code: hubError.code, Message: hubError.message },
          hubError.code,
        );
      },
    );
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    account,
    region,
    productArn,
    findings,
    get requests() {
      return requests;
    },
    failNext(count, failure) {
      failures = { remaining: count, failure };
    },
    disable() {
      enabled = false;
      findings.clear();
    },
    close() {
      return closeServer(server);
    },
  };
}
