/**
 * Stored alerts as the alerts command shows them: the `show` report for a person at a
 * terminal, and JSON that is safe to print there. Every text that came from an event is
 * cleaned and bounded first (event text is attacker-controlled).
 */
import { alertFacts } from '../../lambda/core/render';
import { cleanText } from '../../lambda/core/text';
import type { TriagedAlert } from '../../lambda/core/triage';
import { MAX_ACTOR_LENGTH, MAX_NOTE_LENGTH } from '../../lambda/core/triage';

/** An alert without its CloudTrail record, which `show` prints and a listing leaves out. */
export function withoutRecord(alert: TriagedAlert): Record<string, unknown> {
  return Object.fromEntries(Object.entries(alert).filter(([key]) => key !== 'cloudTrailEvent'));
}

/** Width for one-line fields in `show`: enough for a full ARN, bounded for hostile input. */
const FIELD = 1024;

// Characters JSON.stringify leaves raw that a terminal may still act on: C1 controls (some
// terminals read U+009B as an escape introducer) and invisible or reordering characters.
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g;

/** JSON text that is safe to print to a terminal and parses back to the same value. */
export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    JSON_UNSAFE,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Text from an alert for one line of output: cleaned, bounded, and `-` when empty. */
export function clean(value: string | undefined, max = FIELD): string {
  const text = cleanText(value, max);
  return text === '' ? '-' : text;
}

function identityLines(alert: TriagedAlert): string[] {
  const actor = alert.actor;
  const lines = [
    `  kind:          ${clean(actor.kind)} (${clean(actor.type)})`,
    `  principal id:  ${clean(actor.principalId)}`,
    `  account:       ${clean(actor.accountId)}`,
  ];
  if (actor.userName !== undefined) lines.push(`  user name:     ${clean(actor.userName)}`);
  if (actor.roleArn !== undefined) lines.push(`  role:          ${clean(actor.roleArn)}`);
  if (actor.sessionName !== undefined) lines.push(`  session:       ${clean(actor.sessionName)}`);
  lines.push(
    `  MFA:           ${actor.mfa === undefined ? 'not recorded' : actor.mfa ? 'yes' : 'no'}`,
  );
  if (actor.accessKeyId !== undefined) lines.push(`  access key:    ${clean(actor.accessKeyId)}`);
  if (actor.invokedBy !== undefined) lines.push(`  invoked by:    ${clean(actor.invokedBy)}`);
  return lines;
}

function recordText(cloudTrailEvent: string): string {
  try {
    return safeJson(JSON.parse(cloudTrailEvent) as unknown, 2);
  } catch {
    // Shown anyway so the analyst sees what was stored, but flattened and cleaned.
    return `(not valid JSON) ${clean(cloudTrailEvent, 64 * 1024)}`;
  }
}

/** One `show` line: the label padded to a column, then the value (at least one space apart). */
function row(label: string, value: string): string {
  return `${`${label}:`.padEnd(14)} ${value}`;
}

/**
 * The stored alert, for a person at a terminal: the facts the email states, worded by the
 * same formatter, then what only the store knows (identity details, suppression, burst,
 * triage, delivery) and the original record. Alerts stored before a field existed lack it,
 * so each optional line is shown only when present.
 */
export function showText(alert: TriagedAlert): string {
  const facts = alertFacts(alert, clean);
  const expires = Number.isFinite(alert.expiresAt)
    ? new Date(alert.expiresAt * 1000).toISOString()
    : '-';
  const context = alert.context as TriagedAlert['context'] | undefined;
  const lines = [
    `Alert ${clean(alert.alertId, 200)}`,
    row('Rule', `${clean(alert.ruleId)} (${clean(alert.ruleTitle)})`),
    row('Severity', facts.severity),
    row('Outcome', clean(alert.outcome)),
    row('MITRE ATT&CK', alert.mitre.length > 0 ? alert.mitre.map((m) => clean(m)).join(', ') : '-'),
    row('Event', facts.call),
    row('Event time', clean(alert.eventTime)),
    row('Event id', facts.eventId),
    row('Account', context !== undefined ? facts.account : clean(alert.account)),
    row('Region', clean(alert.region)),
    row('Principal', clean(alert.principal)),
    row('Caller', facts.caller),
    'Actor:',
    ...identityLines(alert),
    row('Source IP', facts.sourceIp),
    row('User agent', facts.userAgent),
  ];
  if (context !== undefined) {
    lines.push(
      row('Tool', facts.tool),
      row('Source class', facts.sourceClass),
      ...(context.history !== undefined ? [row('Caller history', facts.callerHistory)] : []),
    );
  }
  const risk = alert.risk as TriagedAlert['risk'] | undefined;
  if (risk !== undefined) {
    lines.push(
      row('Risk', `base ${risk.baseScore} (${clean(risk.baseSeverity)})`),
      ...facts.riskFactors.map((factor) => `  ${factor}`),
    );
  }
  if (alert.suppression !== undefined) {
    const s = alert.suppression;
    lines.push(
      row(
        'Suppressed by',
        `exception ${clean(s.exceptionId)} (owner ${clean(s.owner)}, expires ${clean(s.expires)})`,
      ),
      `  ${clean(s.reason, 600)}`,
    );
  }
  if (alert.burst !== undefined) {
    const b = alert.burst;
    lines.push(
      row(
        'Burst',
        `${b.kind}, #${b.sequence} of group ${clean(b.groupId)} (thread ${clean(b.threadId)}); ${b.detectionCount} of ${b.cap} notifications for this detection in ${b.windowMinutes} min`,
      ),
    );
  }
  lines.push(
    row('Resource', `${facts.resourceName} (${facts.resourceType})`),
    row('Description', facts.description),
  );
  if (facts.findings.length > 0) {
    lines.push('Findings:', ...facts.findings.map((finding) => `  ${finding}`));
  }
  const attachment = context !== undefined ? facts.attachment : undefined;
  if (attachment !== undefined) {
    lines.push(
      row(
        'Behind group',
        `${attachment.status}${attachment.reason !== undefined ? ` (${attachment.reason})` : ''}`,
      ),
      ...attachment.resources.map((resource) => `  ${resource}`),
    );
  }
  if (facts.error !== undefined) lines.push(row('Error', facts.error));
  lines.push(
    row('Status', clean(alert.status)),
    ...(alert.statusChangedBy !== undefined
      ? [
          row(
            'Changed',
            `by ${clean(alert.statusChangedBy)} at ${clean(alert.statusChangedAt)} (version ${alert.statusVersion ?? 0})`,
          ),
        ]
      : []),
    ...(alert.statusNote !== undefined
      ? [row('Note', clean(alert.statusNote, MAX_NOTE_LENGTH))]
      : []),
    row(
      'Delivery',
      `${clean(alert.delivery)}${alert.notifiedAt !== undefined ? ` at ${clean(alert.notifiedAt)}` : ''}` +
        (alert.messageId !== undefined ? ` (message ${clean(alert.messageId)})` : ''),
    ),
    row('Detected at', clean(alert.detectedAt)),
    row('Expires at', expires),
    'Links:',
    `  CloudTrail:    ${clean(alert.links.cloudTrail)}`,
    `  console:       ${clean(alert.links.console)}`,
    'History:',
  );
  const history = alert.history ?? [];
  if (history.length === 0) lines.push('  (no status changes yet)');
  const dropped = (alert.historyCount ?? history.length) - history.length;
  if (dropped > 0) lines.push(`  (${dropped} earlier change(s) not kept; the latest follow)`);
  for (const change of history) {
    lines.push(
      `  ${clean(change.at)}  ${clean(change.by, MAX_ACTOR_LENGTH)}: ${clean(change.from)} -> ${clean(change.to)}` +
        (change.note !== undefined ? `  "${clean(change.note, MAX_NOTE_LENGTH)}"` : ''),
    );
  }
  lines.push('CloudTrail record:', recordText(alert.cloudTrailEvent));
  return `${lines.join('\n')}\n`;
}
