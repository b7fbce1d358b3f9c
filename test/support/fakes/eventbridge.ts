/**
 * A local EventBridge ListRules, per Region and event bus. The installed client speaks AWS
 * JSON 1.1 (`X-Amz-Target: AWSEvents.ListRules`). Rules come back in name order, a page at
 * a time with an opaque NextToken, as the service pages them; the page size can be made
 * small so callers are tested on pagination they would otherwise never see locally.
 */
import {
  AwsFakeError,
  jsonRpcProtocol,
  optionalInteger,
  optionalString,
  pageToken,
  readPageToken,
  startServer,
  TEST_ACCOUNT,
} from './http';
import type { JsonObject, RequestContext } from './http';

export type RuleState = 'ENABLED' | 'DISABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';

export interface FakeRule {
  readonly name: string;
  /** Default us-east-1. */
  readonly region?: string;
  /** Default `default`. */
  readonly bus?: string;
  readonly description?: string;
  /** Default ENABLED. */
  readonly state?: RuleState;
  readonly eventPattern?: string;
}

export interface FakeEventBridge {
  readonly url: string;
  /** Creates a custom event bus (the default bus always exists). */
  addBus(name: string, region?: string): void;
  addRule(rule: FakeRule): string;
  setState(name: string, state: RuleState, region?: string, bus?: string): void;
  deleteRule(name: string, region?: string, bus?: string): void;
  close(): Promise<void>;
}

interface StoredRule {
  readonly name: string;
  readonly region: string;
  readonly bus: string;
  readonly description?: string;
  state: RuleState;
  readonly eventPattern?: string;
  readonly arn: string;
}

const NAMESPACE = 'com.amazonaws.events';
const MAX_LIMIT = 100;

export async function startFakeEventBridge(
  options: { pageSize?: number } = {},
): Promise<FakeEventBridge> {
  const pageSize = options.pageSize ?? MAX_LIMIT;
  const rules: StoredRule[] = [];
  const buses = new Set<string>();
  const busKey = (region: string, bus: string) => `${region}/${bus}`;

  const busName = (raw: string | undefined, region: string): string => {
    if (raw === undefined || raw === '') return 'default';
    const fromArn = /^arn:aws[a-z-]*:events:([a-z0-9-]+):\d{12}:event-bus\/(.+)$/.exec(raw);
    if (fromArn !== null && fromArn[1] !== region) {
      throw new AwsFakeError(400, 'ResourceNotFoundException', `Event bus ${raw} does not exist.`);
    }
    return fromArn?.[2] ?? raw;
  };

  const operations = {
    ListRules(input: JsonObject, context: RequestContext): JsonObject {
      const bus = busName(optionalString(input, 'EventBusName'), context.region);
      if (bus !== 'default' && !buses.has(busKey(context.region, bus))) {
        throw new AwsFakeError(
          400,
          'ResourceNotFoundException',
          `Event bus ${bus} does not exist.`,
        );
      }
      const limit = optionalInteger(input, 'Limit');
      if (limit !== undefined && (limit < 1 || limit > MAX_LIMIT)) {
        throw new AwsFakeError(
          400,
          'ValidationException',
          `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to ${MAX_LIMIT}`,
        );
      }
      const prefix = optionalString(input, 'NamePrefix') ?? '';
      const scope = `${context.region}/${bus}/${prefix}`;
      const offset = readPageToken(
        optionalString(input, 'NextToken'),
        scope,
        'ValidationException',
      );
      const matching = rules
        .filter(
          (rule) =>
            rule.region === context.region && rule.bus === bus && rule.name.startsWith(prefix),
        )
        .sort((a, b) => a.name.localeCompare(b.name));
      const size = Math.min(limit ?? MAX_LIMIT, pageSize);
      const page = matching.slice(offset, offset + size);
      const next = offset + size < matching.length ? pageToken(offset + size, scope) : undefined;
      return {
        Rules: page.map((rule) => ({
          Name: rule.name,
          Arn: rule.arn,
          EventPattern: rule.eventPattern,
          State: rule.state,
          Description: rule.description,
          EventBusName: rule.bus,
        })),
        ...(next !== undefined ? { NextToken: next } : {}),
      };
    },
  };

  const server = await startServer(
    jsonRpcProtocol({
      signingName: 'events',
      jsonVersion: '1.1',
      targetPrefixes: ['AWSEvents'],
      errorNamespace: NAMESPACE,
      operations,
    }),
  );

  const findRule = (name: string, region: string, bus: string) => {
    const rule = rules.find((r) => r.name === name && r.region === region && r.bus === bus);
    if (rule === undefined) throw new Error(`no fake rule ${name} on ${bus} in ${region}`);
    return rule;
  };

  return {
    url: server.url,
    addBus(name, region = 'us-east-1') {
      buses.add(busKey(region, name));
    },
    addRule(rule) {
      const region = rule.region ?? 'us-east-1';
      const bus = rule.bus ?? 'default';
      if (bus !== 'default' && !buses.has(busKey(region, bus)))
        throw new Error(`no fake bus ${bus} in ${region}`);
      const arn = `arn:aws:events:${region}:${TEST_ACCOUNT}:rule/${bus === 'default' ? '' : `${bus}/`}${rule.name}`;
      rules.push({
        name: rule.name,
        region,
        bus,
        state: rule.state ?? 'ENABLED',
        arn,
        ...(rule.description !== undefined ? { description: rule.description } : {}),
        ...(rule.eventPattern !== undefined ? { eventPattern: rule.eventPattern } : {}),
      });
      return arn;
    },
    setState(name, state, region = 'us-east-1', bus = 'default') {
      findRule(name, region, bus).state = state;
    },
    deleteRule(name, region = 'us-east-1', bus = 'default') {
      rules.splice(rules.indexOf(findRule(name, region, bus)), 1);
    },
    close: () => server.close(),
  };
}
