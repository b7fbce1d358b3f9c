import type { Alert } from './alert';
import type { Detection } from './catalog';
import { cleanText, truncate } from './text';

/** What the publisher port sends: an SNS message with `MessageStructure: json`. */
export interface RenderedMessage {
  readonly subject: string;
  /** JSON text with `default`, `email`, `sqs` and `lambda` keys, every value a string. */
  readonly message: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** SNS rejects a message over 256 KiB (bytes); keep room for the envelope SNS adds. */
export const MAX_MESSAGE_BYTES = 240 * 1024;
/** SNS subjects must be under 100 characters. */
export const MAX_SUBJECT_LENGTH = 99;

const FIELD = 200;
const LONG_FIELD = 600;

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

function actorLine(alert: Alert): string {
  const actor = alert.actor;
  const role = actor.roleArn !== undefined ? ` via role ${actor.roleArn}` : '';
  return `${actor.type || 'unknown type'} ${alert.principal}${role}`;
}

function mfaText(alert: Alert): string {
  if (alert.actor.mfa === undefined) return 'not recorded';
  return alert.actor.mfa ? 'yes' : 'no';
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

/** Where the exposed groups lead, as one line; undefined when nothing was looked up. */
function attachmentText(
  alert: Alert,
  format: (value: string, max: number) => string,
): string | undefined {
  const attachment = alert.context.attachment;
  if (attachment === undefined) return undefined;
  const found = attachment.resources.slice(0, 5).map((resource) => format(resource, 120));
  const more =
    attachment.resources.length > 5 ? ` and ${attachment.resources.length - 5} more` : '';
  switch (attachment.status) {
    case 'rds':
    case 'elasticache':
      return `${attachment.status === 'rds' ? 'an RDS' : 'an ElastiCache'} resource uses the group: ${found.join(', ')}${more}`;
    case 'other':
      return `no RDS or ElastiCache interface, but other interfaces use the group: ${found.join(', ')}${more}`;
    case 'none':
      return 'no network interface uses the group right now';
    case 'unknown':
      return `attachment unknown (${format(attachment.reason ?? 'no reason given', 200)})`;
  }
}

function historyText(alert: Alert): string {
  const history = alert.context.history;
  if (history === undefined) return 'not looked up';
  if (history.firstSeen) return 'first alert ever for this principal';
  return `${history.last24h} earlier alert(s) in 24 h, ${history.last7d} in 7 days`;
}

function accountText(alert: Alert): string {
  const { name, environment } = alert.context.account;
  const label = name !== undefined ? ` (${plain(name, 60)}, ${plain(environment, 30)})` : '';
  return `${plain(alert.account, 40)}${label}`;
}

function sourceIpText(alert: Alert): string {
  const info = alert.context.sourceIp;
  const kind = info.kind === 'aws-service' ? `AWS service ${info.service}` : info.kind;
  return `${plain(alert.sourceIp, 100)} [${plain(kind, 80)}]`;
}

function optionalLine(label: string, text: string | undefined): string[] {
  return text === undefined ? [] : [`${label}${text}`];
}

export function renderSubject(alert: Alert): string {
  const where = `${cleanText(alert.account, 20)}/${cleanText(alert.region, 20)}`;
  const kind = notificationKind(alert);
  const prefix =
    kind === 'update'
      ? `UPDATE #${alert.burst?.sequence ?? 0}`
      : kind === 'summary'
        ? 'CAP REACHED'
        : alert.severity.toUpperCase();
  return truncate(
    cleanText(`[sgwatch] ${prefix}: ${alert.ruleTitle} in ${where}`, 200),
    MAX_SUBJECT_LENGTH,
  );
}

export function renderEmail(alert: Alert, detection: Detection): string {
  const headline = burstHeadline(alert);
  const lines = [
    alert.ruleTitle,
    '='.repeat(Math.min(alert.ruleTitle.length, 80)),
    '',
    ...(headline !== undefined ? [headline, ''] : []),
    `Severity:   ${alert.severity} (risk score ${alert.riskScore}; the detection's base is ${alert.risk.baseScore})`,
    `Rule:       ${alert.ruleId}`,
    `When:       ${alert.eventTime}`,
    `Where:      account ${accountText(alert)}, Region ${plain(alert.region, 40)}`,
    '',
    'Who',
    `  Caller:     ${plain(actorLine(alert), LONG_FIELD)}`,
    ...(alert.actor.sessionName !== undefined
      ? [`  Session:    ${plain(alert.actor.sessionName)}`]
      : []),
    `  MFA:        ${mfaText(alert)}`,
    ...(alert.actor.accessKeyId !== undefined
      ? [`  Access key: ${plain(alert.actor.accessKeyId, 40)}`]
      : []),
    `  Source IP:  ${sourceIpText(alert)}`,
    `  User agent: ${plain(alert.userAgent, 300)}`,
    `  Tool:       ${plain(alert.context.userAgent.label, 100)} [${alert.context.userAgent.kind}]${alert.context.iacRole ? ', a registered IaC pipeline role' : ''}`,
    `  History:    ${historyText(alert)}`,
    '',
    'What',
    `  Call:        ${alert.eventSource} ${alert.eventName}`,
    `  Resource:    ${alert.resource.type}`,
    `  Name:        ${plain(alert.resource.name)}`,
    `  Description: ${plain(alert.resource.description, 400)}`,
    ...(alert.findings ?? []).map((finding) => `  Finding:     ${plain(finding, 400)}`),
    ...optionalLine('  Behind it:   ', attachmentText(alert, plain)),
    ...(alert.error !== undefined
      ? [`  Error:       ${plain(alert.error.code, 100)}: ${plain(alert.error.message, 400)}`]
      : []),
    `  Event ID:    ${plain(alert.eventId, 100)}`,
    '',
    'Why it matters',
    `  ${detection.description}`,
    `  MITRE ATT&CK: ${alert.mitre.join(', ')}`,
    '',
    'Risk factors',
    ...(alert.risk.factors.length === 0
      ? ['  none: the detection base score applies']
      : alert.risk.factors.map(
          (f) => `  ${f.delta > 0 ? '+' : ''}${f.delta}  ${plain(f.reason, 200)}`,
        )),
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
    ...optionalLine('*Behind it:* ', attachmentText(alert, slack)),
    ...(alert.error !== undefined
      ? [`*Error:* ${slack(alert.error.code, 100)} ${slack(alert.error.message, 300)}`]
      : []),
    `*Where:* account ${slack(alert.account, 40)}, ${slack(alert.region, 40)} at ${alert.eventTime}`,
    `*Severity:* ${alert.severity} (risk ${alert.riskScore}) · ${alert.mitre.join(', ')}`,
    ...(alert.risk.factors.length > 0
      ? [`*Risk factors:* ${alert.risk.factors.map((f) => slack(f.reason, 120)).join(', ')}`]
      : []),
    `*History:* ${historyText(alert)}`,
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
    subject: renderSubject(alert),
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
