import type { Alert, RenderedMessage } from './model';
import type { Detection } from './catalog';
import { MAX_FIELD_LENGTH, cleanText, truncate } from './text';

export type { RenderedMessage } from './model';

/** SNS rejects a message over 256 KiB (bytes); keep room for the envelope SNS adds. */
export const MAX_MESSAGE_BYTES = 240 * 1024;
/** SNS subjects must be under 100 characters. */
export const MAX_SUBJECT_LENGTH = 99;
/** The longest short title a detection may have: what the subject keeps for its wording. */
export const MAX_SHORT_TITLE_LENGTH = 32;
/**
 * The most of an account name a subject shows; names from the directory can be long, and
 * the Region beside them is never cut, so the name is abbreviated instead.
 */
export const MAX_SUBJECT_ACCOUNT_NAME = 24;
/** Below this, an abbreviated name says too little: the subject shows the account id. */
const MIN_SUBJECT_ACCOUNT_NAME = 8;

const FIELD = 200;

/** Turns URL schemes inert so mail clients and chat do not make attacker text clickable. */
function defang(value: string): string {
  return value.replace(/([a-z][a-z0-9+.-]*):\/\//gi, '$1[:]//');
}

/** Plain text for email: one line, no controls, bounded, links defanged. */
function plain(value: string | undefined, max = FIELD): string {
  const text = defang(cleanText(value, max));
  return text === '' ? '(none)' : text;
}

/**
 * Slack/Chatbot client-markdown for an untrusted value: `&`, `<` and `>` escaped (this is
 * what neutralises `<!channel>`, `<@U123>` and `<url|label>`), backticks replaced, and the
 * whole value set in inline code so markdown in it shows as typed.
 */
function slack(value: string | undefined, max = FIELD): string {
  const text = defang(cleanText(value, max));
  if (text === '') return '_none_';
  const escaped = text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/`/g, 'ˋ');
  return `\`${escaped}\``;
}

/** Which message this is in its burst: `new` unless the pipeline placed it otherwise. */
export function notificationKind(alert: Alert): 'new' | 'update' | 'summary' {
  const kind = alert.burst?.kind;
  return kind === 'update' || kind === 'summary' ? kind : 'new';
}

function burstHeadline(alert: Alert): string | undefined {
  const burst = alert.burst;
  if (burst === undefined) return undefined;
  if (burst.kind === 'update') {
    return `Update #${burst.sequence} in a burst: the same caller did this again in the same ${burst.windowMinutes}-minute window as the first alert.`;
  }
  if (burst.kind === 'summary') {
    return `Notification cap reached: ${burst.cap} notifications for this detection within ${burst.windowMinutes} minutes. Further alerts in this window are recorded in the alert table but not sent.`;
  }
  return undefined;
}

/** Makes one event string safe for an output: cleaned, bounded, escaped for its format. */
export type Escape = (value: string | undefined, max: number) => string;

/** What the lookup found behind an exposed group. */
export interface AttachmentFacts {
  /** `rds`, `elasticache`, `other`, `none` or `unknown`. */
  readonly status: string;
  /** Why the lookup could not tell, for `unknown`. */
  readonly reason?: string;
  /** One line: what uses the group, at most five resources named. */
  readonly summary: string;
  /** Every resource found, escaped. */
  readonly resources: readonly string[];
}

/**
 * The facts about an alert that every person-facing text states (the email and
 * `sgwatch alerts show`), worded once. Each event string is passed through `escape`, so each
 * output keeps its own escaping; the layout around the facts is the output's own.
 */
export interface AlertFacts {
  /** `high (risk score 57; the detection's base is 21)` */
  readonly severity: string;
  /** `IAMUser arn:aws:iam::111122223333:user/dana`, with `via role ARN` for a role session. */
  readonly caller: string;
  readonly session?: string;
  /** `yes`, `no` or `not recorded`. */
  readonly mfa: string;
  readonly accessKey?: string;
  readonly sourceIp: string;
  /** `public`, `private`, `AWS service rds.amazonaws.com`... */
  readonly sourceClass: string;
  readonly userAgent: string;
  /** `AWS CLI 2.15.30 [aws-cli]`, with `, a registered IaC pipeline role` when it is one. */
  readonly tool: string;
  /** `111122223333 (Billing, production)`, or `(not in the account directory)`. */
  readonly account: string;
  /** What the alert table knew about the caller's earlier alerts. */
  readonly callerHistory: string;
  /** `CreateDBSecurityGroup from rds.amazonaws.com` */
  readonly call: string;
  /** `RDS DB security group` */
  readonly resourceType: string;
  /** `legacy-reporting` */
  readonly resourceName: string;
  readonly description: string;
  readonly findings: readonly string[];
  readonly attachment?: AttachmentFacts;
  /** `AccessDenied: User ... is not authorized ...` */
  readonly error?: string;
  readonly eventId: string;
  /** `+15  IAM user without MFA`, one per factor; empty when the base score applies. */
  readonly riskFactors: readonly string[];
}

function attachmentFacts(alert: Alert, escape: Escape): AttachmentFacts | undefined {
  const attachment = alert.context.attachment;
  if (attachment === undefined) return undefined;
  const resources = attachment.resources.map((resource) => escape(resource, 200));
  const named = resources.slice(0, 5).join(', ');
  const more = resources.length > 5 ? ` and ${resources.length - 5} more` : '';
  let summary: string;
  switch (attachment.status) {
    case 'rds':
    case 'elasticache':
      summary = `${attachment.status === 'rds' ? 'an RDS' : 'an ElastiCache'} resource uses the group: ${named}${more}`;
      break;
    case 'other':
      summary = `no RDS or ElastiCache interface, but other interfaces use the group: ${named}${more}`;
      break;
    case 'none':
      summary = 'no network interface uses the group right now';
      break;
    case 'unknown':
      summary = `attachment unknown (${escape(attachment.reason ?? 'no reason given', 200)})`;
      break;
  }
  return {
    status: attachment.status,
    ...(attachment.reason !== undefined ? { reason: escape(attachment.reason, 300) } : {}),
    summary,
    resources,
  };
}

function callerHistoryText(alert: Alert): string {
  const history = alert.context.history;
  if (history === undefined) return 'not looked up';
  if (history.firstSeen) return 'first alert for this principal';
  return `${history.last24h} earlier alert(s) in 24 h, ${history.last7d} in 7 days`;
}

function mfaText(alert: Alert): string {
  if (alert.actor.mfa === undefined) return 'not recorded';
  return alert.actor.mfa ? 'yes' : 'no';
}

/** The facts about `alert`, with every event string passed through `escape`. */
export function alertFacts(alert: Alert, escape: Escape): AlertFacts {
  const { actor, context } = alert;
  const role = actor.roleArn !== undefined ? ` via role ${actor.roleArn}` : '';
  const ip = context.sourceIp;
  const { name, environment } = context.account;
  return {
    severity: `${alert.severity} (risk score ${alert.riskScore}; the detection's base is ${alert.risk.baseScore})`,
    caller: escape(`${actor.type || 'unknown type'} ${alert.principal}${role}`, 600),
    ...(actor.sessionName !== undefined ? { session: escape(actor.sessionName, 200) } : {}),
    mfa: mfaText(alert),
    ...(actor.accessKeyId !== undefined ? { accessKey: escape(actor.accessKeyId, 40) } : {}),
    sourceIp: escape(alert.sourceIp, 100),
    sourceClass: ip.kind === 'aws-service' ? `AWS service ${escape(ip.service, 80)}` : ip.kind,
    userAgent: escape(alert.userAgent, 300),
    tool: `${escape(context.userAgent.label, 100)} [${context.userAgent.kind}]${context.iacRole ? ', a registered IaC pipeline role' : ''}`,
    account: `${escape(alert.account, 40)} (${name !== undefined ? `${escape(name, 60)}, ${escape(environment, 30)}` : 'not in the account directory'})`,
    callerHistory: callerHistoryText(alert),
    call: `${escape(alert.eventName, 100)} from ${escape(alert.eventSource, 100)}`,
    resourceType: escape(alert.resource.type, 100),
    resourceName: escape(alert.resource.name, 200),
    description: escape(alert.resource.description, 400),
    findings: (alert.findings ?? []).map((finding) => escape(finding, 400)),
    ...optional('attachment', attachmentFacts(alert, escape)),
    ...(alert.error !== undefined
      ? { error: `${escape(alert.error.code, 100)}: ${escape(alert.error.message, 400)}` }
      : {}),
    eventId: escape(alert.eventId, 100),
    riskFactors: alert.risk.factors.map(
      (factor) => `${factor.delta > 0 ? '+' : ''}${factor.delta}  ${escape(factor.reason, 200)}`,
    ),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function optionalLine(label: string, text: string | undefined): string[] {
  return text === undefined ? [] : [`${label}${text}`];
}

/**
 * The subject names the detection, the account and the Region, and none of those facts is
 * cut to fit SNS's 99 characters: the detection appears in its short wording, the account as
 * its directory name (abbreviated to what is left, at most `MAX_SUBJECT_ACCOUNT_NAME`) or
 * else its id, and the Region whole.
 */
export function renderSubject(alert: Alert, detection: Detection): string {
  const kind = notificationKind(alert);
  const prefix =
    kind === 'update'
      ? `UPDATE #${alert.burst?.sequence ?? 0}`
      : kind === 'summary'
        ? 'CAP REACHED'
        : alert.severity.toUpperCase();
  const title = cleanText(detection.shortTitle, MAX_SHORT_TITLE_LENGTH);
  const head = `[sgwatch] ${prefix}: ${title} in `;
  const tail = `/${cleanText(alert.region, MAX_FIELD_LENGTH) || 'unknown'}`;
  const room = MAX_SUBJECT_LENGTH - head.length - tail.length;
  const name = cleanText(alert.context.account.name, MAX_SUBJECT_ACCOUNT_NAME);
  const account =
    name !== '' && (name.length <= room || room >= MIN_SUBJECT_ACCOUNT_NAME)
      ? truncate(name, room)
      : cleanText(alert.account, MAX_FIELD_LENGTH) || 'unknown';
  // Only an account id or Region of dozens of characters, which no AWS record carries, can
  // still overflow; the subject is then cut like any other text.
  return truncate(`${head}${account}${tail}`, MAX_SUBJECT_LENGTH);
}

export function renderEmail(alert: Alert, detection: Detection): string {
  const headline = burstHeadline(alert);
  const facts = alertFacts(alert, plain);
  const lines = [
    alert.ruleTitle,
    '='.repeat(Math.min(alert.ruleTitle.length, 80)),
    '',
    ...(headline !== undefined ? [headline, ''] : []),
    `Severity:   ${facts.severity}`,
    `Rule:       ${alert.ruleId}`,
    `When:       ${alert.eventTime}`,
    `Where:      account ${facts.account}, Region ${plain(alert.region, 40)}`,
    '',
    'Who',
    `  Caller:     ${facts.caller}`,
    ...optionalLine('  Session:    ', facts.session),
    `  MFA:        ${facts.mfa}`,
    ...optionalLine('  Access key: ', facts.accessKey),
    `  Source IP:  ${facts.sourceIp} [${facts.sourceClass}]`,
    `  User agent: ${facts.userAgent}`,
    `  Tool:       ${facts.tool}`,
    `  History:    ${facts.callerHistory}`,
    '',
    'What',
    `  Call:        ${facts.call}`,
    `  Resource:    ${facts.resourceType}`,
    `  Name:        ${facts.resourceName}`,
    `  Description: ${facts.description}`,
    ...facts.findings.map((finding) => `  Finding:     ${finding}`),
    ...optionalLine('  Behind it:   ', facts.attachment?.summary),
    ...optionalLine('  Error:       ', facts.error),
    `  Event ID:    ${facts.eventId}`,
    '',
    'Why it matters',
    `  ${detection.description}`,
    `  MITRE ATT&CK: ${alert.mitre.join(', ')}`,
    '',
    'Risk factors',
    ...(facts.riskFactors.length === 0
      ? ['  none: the detection base score applies']
      : facts.riskFactors.map((factor) => `  ${factor}`)),
    '',
    'Investigate',
    ...detection.investigation.map((step, i) => `  ${i + 1}. ${step}`),
    '',
    'Respond',
    ...detection.response.map((step, i) => `  ${i + 1}. ${step}`),
    '',
    'Links',
    ...(alert.links.cloudTrail !== undefined
      ? [`  CloudTrail event: ${alert.links.cloudTrail}`]
      : []),
    ...(alert.links.console !== undefined ? [`  Service console:  ${alert.links.console}`] : []),
    '',
    // Every copy of one alert (a retried publish can send one twice) carries this id.
    `Alert ID: ${alert.alertId} (the same on any repeat of this alert). Triage it with: sgwatch alerts show ${alert.alertId}`,
  ];
  return lines.join('\n');
}

/** The AWS Chatbot (Amazon Q Developer in chat) custom-notification document. */
export function renderChatbot(alert: Alert, detection: Detection): string {
  const description = [
    `*Who:* ${slack(alert.principal, 300)} (${slack(alert.actor.type, 40)}, MFA ${mfaText(alert)})`,
    `*From:* ${slack(alert.sourceIp, 100)} using ${slack(alert.userAgent, 200)}`,
    `*What:* ${alert.eventName} on ${alert.resource.type} ${slack(alert.resource.name)}`,
    `*Description:* ${slack(alert.resource.description, 300)}`,
    ...(alert.findings ?? []).slice(0, 10).map((finding) => `*Finding:* ${slack(finding, 300)}`),
    ...optionalLine('*Behind it:* ', attachmentFacts(alert, slack)?.summary),
    ...(alert.error !== undefined
      ? [`*Error:* ${slack(alert.error.code, 100)} ${slack(alert.error.message, 300)}`]
      : []),
    `*Where:* account ${slack(alert.account, 40)}, ${slack(alert.region, 40)} at ${alert.eventTime}`,
    `*Severity:* ${alert.severity} (risk ${alert.riskScore}) · ${alert.mitre.join(', ')}`,
    ...(alert.risk.factors.length > 0
      ? [`*Risk factors:* ${alert.risk.factors.map((f) => slack(f.reason, 120)).join(', ')}`]
      : []),
    `*History:* ${callerHistoryText(alert)}`,
    ...(alert.links.cloudTrail !== undefined
      ? [`<${alert.links.cloudTrail}|CloudTrail event>`]
      : []),
  ].join('\n');
  const notification = {
    version: '1.0',
    source: 'custom',
    id: alert.alertId,
    content: {
      textType: 'client-markdown',
      title: truncate(
        notificationKind(alert) === 'new'
          ? `:rotating_light: ${alert.ruleTitle} (${alert.severity})`
          : `${burstHeadline(alert) ?? ''} ${alert.ruleTitle} (${alert.severity})`,
        250,
      ),
      description: truncate(description, 8000),
      nextSteps: detection.investigation.slice(0, 3).map((step) => truncate(step, 300)),
      keywords: [
        alert.severity,
        alert.ruleId,
        cleanText(alert.account, 20),
        cleanText(alert.region, 20),
      ],
    },
    metadata: {
      threadId: alert.burst?.threadId ?? alert.alertId,
      summary: truncate(`${alert.ruleTitle} in ${cleanText(alert.account, 20)}`, 250),
      eventType: alert.ruleId,
      additionalContext: { alertId: alert.alertId, eventId: cleanText(alert.eventId, 100) },
    },
  };
  return JSON.stringify(notification);
}

function utf8Length(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/** Renders one alert for SNS. The machine payload drops the raw record only if it must. */
export function renderMessage(alert: Alert, detection: Detection): RenderedMessage {
  const human = {
    default: renderChatbot(alert, detection),
    email: renderEmail(alert, detection),
  };
  const full = JSON.stringify(alert);
  let machine = full;
  const overhead = utf8Length(JSON.stringify(human)) + 64;
  // sqs and lambda each carry the alert, so the record must fit twice.
  if (overhead + 2 * utf8Length(JSON.stringify(full)) > MAX_MESSAGE_BYTES) {
    machine = JSON.stringify({
      ...alert,
      cloudTrailEvent: undefined,
      cloudTrailEventOmitted: true,
    });
  }
  const message = JSON.stringify({ ...human, sqs: machine, lambda: machine });
  if (utf8Length(message) > MAX_MESSAGE_BYTES) {
    throw new Error(
      `alert ${alert.alertId} renders to ${utf8Length(message)} bytes, over the SNS limit`,
    );
  }
  return {
    subject: renderSubject(alert, detection),
    message,
    attributes: {
      // The stable id subscribers deduplicate on: derived from the rule and the CloudTrail
      // eventID, so a repeated publish of the same alert carries the same value.
      alertId: alert.alertId,
      severity: alert.severity,
      ruleId: alert.ruleId,
      notification: notificationKind(alert),
      account: cleanText(alert.account, 64) || 'unknown',
      region: cleanText(alert.region, 64) || 'unknown',
    },
  };
}
