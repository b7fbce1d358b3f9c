/**
 * A local CloudTrail for the trail checks: DescribeTrails, GetTrailStatus and
 * GetEventSelectors. The installed client speaks AWS JSON 1.1 with targets like
 * `CloudTrail_20131101.DescribeTrails` (botocore sends the longer
 * `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DescribeTrails`; both are accepted).
 *
 * Trails are regional resources with a home Region. As in CloudTrail, DescribeTrails in a
 * Region also lists the multi-Region trails homed elsewhere ("shadow trails") unless
 * includeShadowTrails is false, and the other operations find a shadow trail only by its
 * ARN, never by its bare name.
 */
import {
  AwsFakeError,
  jsonRpcProtocol,
  optionalStringList,
  requiredString,
  startServer,
  TEST_ACCOUNT,
} from './http';
import type { JsonObject, RequestContext } from './http';

export interface FakeEventSelector {
  readonly ReadWriteType?: 'ReadOnly' | 'WriteOnly' | 'All';
  readonly IncludeManagementEvents?: boolean;
  readonly ExcludeManagementEventSources?: readonly string[];
}

export interface FakeAdvancedEventSelector {
  readonly Name?: string;
  readonly FieldSelectors: readonly {
    readonly Field: string;
    readonly Equals?: readonly string[];
    readonly NotEquals?: readonly string[];
  }[];
}

export interface FakeTrail {
  readonly name: string;
  readonly homeRegion?: string;
  readonly multiRegion?: boolean;
  readonly organization?: boolean;
  /** Default true. */
  readonly logging?: boolean;
  /** Default: one selector logging all management events, CloudTrail's default. */
  readonly eventSelectors?: readonly FakeEventSelector[];
  readonly advancedEventSelectors?: readonly FakeAdvancedEventSelector[];
}

export interface FakeCloudTrail {
  readonly url: string;
  /** Adds a trail; returns its ARN. */
  addTrail(trail: FakeTrail): string;
  setLogging(name: string, logging: boolean): void;
  reset(): void;
  close(): Promise<void>;
}

interface StoredTrail extends FakeTrail {
  readonly homeRegion: string;
  readonly arn: string;
  logging: boolean;
}

const NAMESPACE = 'com.amazonaws.cloudtrail.v20131101';

export async function startFakeCloudTrail(): Promise<FakeCloudTrail> {
  const trails: StoredTrail[] = [];

  const appliesTo = (trail: StoredTrail, region: string) =>
    trail.homeRegion === region || trail.multiRegion === true;

  const find = (input: JsonObject, member: string, context: RequestContext): StoredTrail => {
    const wanted = requiredString(input, member, 'InvalidTrailNameException');
    const trail = trails.find((t) =>
      wanted.startsWith('arn:')
        ? t.arn === wanted && appliesTo(t, context.region)
        : t.name === wanted && t.homeRegion === context.region,
    );
    if (trail === undefined) {
      throw new AwsFakeError(
        400,
        'TrailNotFoundException',
        `Unknown trail: ${wanted} for the user: ${TEST_ACCOUNT}`,
      );
    }
    return trail;
  };

  const operations = {
    DescribeTrails(input: JsonObject, context: RequestContext): JsonObject {
      const names = optionalStringList(input, 'trailNameList');
      const includeShadows = input.includeShadowTrails !== false;
      const listed = trails.filter(
        (trail) =>
          (trail.homeRegion === context.region || (includeShadows && trail.multiRegion === true)) &&
          (names === undefined ||
            names.length === 0 ||
            names.includes(trail.name) ||
            names.includes(trail.arn)),
      );
      return {
        trailList: listed.map((trail) => ({
          Name: trail.name,
          S3BucketName: `aws-cloudtrail-logs-${TEST_ACCOUNT}-${trail.name}`,
          IncludeGlobalServiceEvents: true,
          IsMultiRegionTrail: trail.multiRegion === true,
          HomeRegion: trail.homeRegion,
          TrailARN: trail.arn,
          LogFileValidationEnabled: true,
          HasCustomEventSelectors:
            trail.eventSelectors !== undefined || trail.advancedEventSelectors !== undefined,
          HasInsightSelectors: false,
          IsOrganizationTrail: trail.organization === true,
        })),
      };
    },

    GetTrailStatus(input: JsonObject, context: RequestContext): JsonObject {
      const trail = find(input, 'Name', context);
      // JSON protocols carry timestamps as epoch seconds.
      const now = Date.now() / 1000;
      return trail.logging
        ? { IsLogging: true, LatestDeliveryTime: now - 300, StartLoggingTime: now - 86_400 }
        : { IsLogging: false, StartLoggingTime: now - 86_400, StopLoggingTime: now - 3_600 };
    },

    GetEventSelectors(input: JsonObject, context: RequestContext): JsonObject {
      const trail = find(input, 'TrailName', context);
      if (trail.advancedEventSelectors !== undefined) {
        return { TrailARN: trail.arn, AdvancedEventSelectors: trail.advancedEventSelectors };
      }
      return {
        TrailARN: trail.arn,
        EventSelectors: (
          trail.eventSelectors ?? [{ ReadWriteType: 'All', IncludeManagementEvents: true }]
        ).map((selector) => ({
          ReadWriteType: selector.ReadWriteType ?? 'All',
          IncludeManagementEvents: selector.IncludeManagementEvents ?? true,
          DataResources: [],
          ExcludeManagementEventSources: selector.ExcludeManagementEventSources ?? [],
        })),
      };
    },
  };

  const server = await startServer(
    jsonRpcProtocol({
      signingName: 'cloudtrail',
      jsonVersion: '1.1',
      targetPrefixes: ['CloudTrail_20131101', `${NAMESPACE}.CloudTrail_20131101`],
      errorNamespace: NAMESPACE,
      operations,
    }),
  );

  return {
    url: server.url,
    addTrail(trail) {
      const homeRegion = trail.homeRegion ?? 'us-east-1';
      const arn = `arn:aws:cloudtrail:${homeRegion}:${TEST_ACCOUNT}:trail/${trail.name}`;
      trails.push({ ...trail, homeRegion, arn, logging: trail.logging ?? true });
      return arn;
    },
    setLogging(name, logging) {
      const trail = trails.find((t) => t.name === name);
      if (trail === undefined) throw new Error(`no fake trail ${name}`);
      trail.logging = logging;
    },
    reset() {
      trails.length = 0;
    },
    close: () => server.close(),
  };
}
