import type { GetEventSelectorsCommandOutput, Trail } from '@aws-sdk/client-cloudtrail';
import {
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from '@aws-sdk/client-cloudtrail';
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { CATALOG } from '../../lambda/core/catalog';
import { explainAwsError, isAccountWideError } from '../aws';
import type { Finding } from './findings';
import { clean, ok, problem, unreadable } from './findings';

/** The services whose calls the catalog watches, from the catalog itself. */
const WATCHED_SOURCES = [
  ...new Set(CATALOG.flatMap((detection) => detection.calls.map((call) => call.eventSource))),
].sort();

interface TrailAssessment {
  readonly trail: Trail;
  readonly label: string;
  readonly logging?: boolean;
  /** Watched event sources whose write management events the trail does not record. */
  readonly uncovered?: readonly string[];
  readonly advanced?: boolean;
  readonly error?: unknown;
}

/**
 * Which watched services' write management events a trail's selectors record. Basic
 * selectors: management events on, ReadWriteType All or WriteOnly, minus excluded sources.
 * Advanced selectors: eventCategory Management, not read-only, eventSource not excluded.
 * Conditions this does not model are assumed to include the call: doctor should not
 * report a break it cannot show.
 */
export function uncoveredSources(
  selectors: Pick<GetEventSelectorsCommandOutput, 'EventSelectors' | 'AdvancedEventSelectors'>,
  sources: readonly string[] = WATCHED_SOURCES,
): string[] {
  const basic = selectors.EventSelectors ?? [];
  const advanced = selectors.AdvancedEventSelectors ?? [];
  // A trail without selectors logs all management events, CloudTrail's default.
  if (basic.length === 0 && advanced.length === 0) return [];
  const covered = new Set<string>();
  for (const selector of basic) {
    const type = selector.ReadWriteType ?? 'All';
    if (selector.IncludeManagementEvents === false || type === 'ReadOnly') continue;
    const excluded = selector.ExcludeManagementEventSources ?? [];
    for (const source of sources) if (!excluded.includes(source)) covered.add(source);
  }
  for (const selector of advanced) {
    const fields = selector.FieldSelectors ?? [];
    const field = (name: string) => fields.find((f) => f.Field === name);
    if (!(field('eventCategory')?.Equals ?? []).includes('Management')) continue;
    const readOnly = field('readOnly');
    if (
      readOnly?.Equals?.includes('true') === true ||
      readOnly?.NotEquals?.includes('false') === true
    ) {
      continue;
    }
    const eventSource = field('eventSource');
    for (const source of sources) {
      if (eventSource?.NotEquals?.includes(source) === true) continue;
      if (eventSource?.Equals !== undefined && !eventSource.Equals.includes(source)) continue;
      covered.add(source);
    }
  }
  return sources.filter((source) => !covered.has(source));
}

async function assessTrail(client: CloudTrailClient, trail: Trail): Promise<TrailAssessment> {
  const id = trail.TrailARN ?? trail.Name ?? '';
  const scope = trail.IsMultiRegionTrail === true ? 'multi-Region' : 'single-Region';
  const label = `${clean(trail.Name)} (${scope}${trail.IsOrganizationTrail === true ? ', organization' : ''}, home ${clean(trail.HomeRegion)})`;
  try {
    // A trail from another home Region is a shadow here; CloudTrail wants its ARN then.
    const [status, selectors] = await Promise.all([
      client.send(new GetTrailStatusCommand({ Name: id })),
      client.send(new GetEventSelectorsCommand({ TrailName: id })),
    ]);
    return {
      trail,
      label,
      logging: status.IsLogging === true,
      uncovered: uncoveredSources(selectors),
      advanced: (selectors.AdvancedEventSelectors ?? []).length > 0,
    };
  } catch (error) {
    if (isAccountWideError(error)) throw error;
    return { trail, label, error };
  }
}

function trailFixes(assessment: TrailAssessment): string[] {
  const { trail } = assessment;
  const name = clean(trail.TrailARN ?? trail.Name);
  const home = clean(trail.HomeRegion);
  const fixes: string[] = [];
  if (assessment.logging === false) {
    fixes.push(`turn logging on: aws cloudtrail start-logging --name ${name} --region ${home}`);
  }
  if ((assessment.uncovered ?? []).length > 0) {
    fixes.push(
      assessment.advanced === true
        ? `record write management events: add an advanced event selector with eventCategory = Management (and no readOnly = true) to ${name} in the CloudTrail console (Trails > ${clean(trail.Name)} > Management events > Edit)`
        : `record write management events: aws cloudtrail put-event-selectors --trail-name ${name} --region ${home} --event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true}]' (this replaces the trail's selectors: add any data-event selectors it has to the list)`,
    );
  }
  return fixes;
}

function trailProblem(assessment: TrailAssessment): string {
  const parts: string[] = [];
  if (assessment.logging === false) parts.push('is not logging');
  const uncovered = assessment.uncovered ?? [];
  if (uncovered.length > 0) {
    parts.push(`does not record write management events from ${uncovered.join(', ')}`);
  }
  return `trail ${assessment.label} ${parts.join(' and ')}`;
}

/** A trail with logging on records the write management events sgwatch watches here. */
export async function checkCloudTrail(client: CloudTrailClient, region: string): Promise<Finding> {
  const check = 'cloudtrail';
  let trails: Trail[];
  try {
    // Shadow trails are the multi-Region and organization trails that also cover this Region.
    ({ trailList: trails = [] } = await client.send(
      new DescribeTrailsCommand({ includeShadowTrails: true }),
    ));
  } catch (error) {
    if (isAccountWideError(error)) throw error;
    return unreadable(check, 'the CloudTrail trails', error, 'cloudtrail:DescribeTrails');
  }
  const applicable = trails.filter(
    (trail) => trail.HomeRegion === region || trail.IsMultiRegionTrail === true,
  );
  if (applicable.length === 0) {
    return problem(
      check,
      'fail',
      `no CloudTrail trail covers ${region}: EventBridge receives "AWS API Call via CloudTrail" events only from a trail with logging on, so no call sgwatch watches reaches its rules`,
      [
        `create a multi-Region trail (its first copy of management events is free) in the CloudTrail console, which also sets up the S3 bucket policy: https://console.aws.amazon.com/cloudtrail/home?region=${region}#/create`,
        `or with the AWS CLI, given a bucket with the CloudTrail bucket policy: aws cloudtrail create-trail --name sgwatch-management-events --s3-bucket-name BUCKET --is-multi-region-trail --region ${region} && aws cloudtrail start-logging --name sgwatch-management-events --region ${region}`,
      ],
    );
  }
  const assessments = await Promise.all(applicable.map((trail) => assessTrail(client, trail)));
  const good = assessments.find(
    (a) => a.logging === true && a.uncovered !== undefined && a.uncovered.length === 0,
  );
  if (good !== undefined) {
    return ok(check, `trail ${good.label} is logging the write management events sgwatch watches`);
  }
  const known = assessments.filter((a) => a.error === undefined);
  const unknown = assessments.filter((a) => a.error !== undefined);
  if (known.length === 0) {
    const first = unknown[0];
    return problem(
      check,
      'warn',
      `could not read the status of trail(s) ${unknown.map((a) => a.label).join(', ')}: ${explainAwsError(first?.error)}`,
      [
        'grant cloudtrail:GetTrailStatus and cloudtrail:GetEventSelectors (for an organization trail, run doctor in the management account), or check in the CloudTrail console that one of them is logging management events',
      ],
    );
  }
  return problem(
    check,
    'fail',
    `no trail records the calls sgwatch watches in ${region}, so EventBridge never receives them: ${known.map(trailProblem).join('; ')}`,
    known.flatMap(trailFixes),
  );
}
