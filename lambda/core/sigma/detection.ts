/**
 * A compiled Sigma rule as a catalog `Detection`: the same shape the built-in detections
 * have, so enrichment, the alert record, messages, triage, findings and hunt treat both
 * alike. The rule's own words fill the metadata; where Sigma has no field (investigation and
 * response steps), general steps for a CloudTrail alert stand in.
 */
import type { CloudTrailRecord } from '../cloudtrail';
import type { AttackMapping, AttackReference, Detection } from '../catalog/detection';
import type { Severity } from '../model';
import { cleanText } from '../text';
import { compileRule } from './evaluate';
import type { SigmaLevel, SigmaRule } from './model';
import { SIGMA_ID_PREFIX } from './model';
import type { RulePatterns, RuleScope } from './pattern';
import { rulePatterns, ruleScope } from './pattern';

const SEVERITY: Readonly<Record<SigmaLevel, Severity>> = {
  informational: 'low',
  low: 'low',
  medium: 'medium',
  high: 'high',
  critical: 'critical',
};

/** Base risk scores by level, on the scale the built-in detections use. */
const RISK_SCORE: Readonly<Record<SigmaLevel, number>> = {
  informational: 10,
  low: 21,
  medium: 47,
  high: 73,
  critical: 99,
};

/** ATT&CK tactics by the tag Sigma writes for them (`attack.defense-evasion`). */
const TACTICS: Readonly<Record<string, readonly [string, string]>> = {
  reconnaissance: ['TA0043', 'Reconnaissance'],
  'resource-development': ['TA0042', 'Resource Development'],
  'initial-access': ['TA0001', 'Initial Access'],
  execution: ['TA0002', 'Execution'],
  persistence: ['TA0003', 'Persistence'],
  'privilege-escalation': ['TA0004', 'Privilege Escalation'],
  'defense-evasion': ['TA0005', 'Defense Evasion'],
  'credential-access': ['TA0006', 'Credential Access'],
  discovery: ['TA0007', 'Discovery'],
  'lateral-movement': ['TA0008', 'Lateral Movement'],
  collection: ['TA0009', 'Collection'],
  'command-and-control': ['TA0011', 'Command and Control'],
  exfiltration: ['TA0010', 'Exfiltration'],
  impact: ['TA0040', 'Impact'],
};

const TECHNIQUE_TAG = /^attack\.(t\d{4})(?:\.(\d{3}))?$/i;

function reference(kind: 'tactics' | 'techniques', id: string, name: string): AttackReference {
  return { id, name, url: `https://attack.mitre.org/${kind}/${id.replace('.', '/')}/` };
}

/**
 * ATT&CK from the rule's tags: each technique under each tactic the rule names. Sigma tags
 * carry ids, not technique names, so the id stands for the name. A technique without a
 * known tactic tag is left out: a mapping always has both.
 */
export function attackFromTags(tags: readonly string[]): AttackMapping[] {
  const tactics: AttackReference[] = [];
  const techniques: { technique: AttackReference; subtechnique?: AttackReference }[] = [];
  for (const tag of tags) {
    const lower = tag.toLowerCase();
    const tactic = lower.startsWith('attack.') ? TACTICS[lower.slice('attack.'.length)] : undefined;
    if (tactic !== undefined) {
      tactics.push(reference('tactics', tactic[0], tactic[1]));
      continue;
    }
    const technique = TECHNIQUE_TAG.exec(tag);
    if (technique === null) continue;
    const id = (technique[1] ?? '').toUpperCase();
    const sub = technique[2];
    techniques.push({
      technique: reference('techniques', id, id),
      ...(sub !== undefined
        ? { subtechnique: reference('techniques', `${id}.${sub}`, `${id}.${sub}`) }
        : {}),
    });
  }
  return tactics.flatMap((tactic) => techniques.map((technique) => ({ tactic, ...technique })));
}

const INVESTIGATION = [
  'Confirm who made the call (userIdentity, sourceIPAddress, userAgent) and whether they were expected to.',
  'Read the request parameters and the response in the CloudTrail record for what changed.',
  'Look for other calls by the same principal around the same time, in CloudTrail or `sgwatch alerts list --principal`.',
];

const RESPONSE = [
  'If the call was not expected, undo its effect and restrict the principal that made it.',
  'If credentials may be compromised, rotate them and review what else they were used for.',
  'If the call is expected, record an exception in the sgwatch configuration, or tune the Sigma rule.',
];

/** What a compiled rule deploys and how far EventBridge narrows it, for `sgwatch sigma check`. */
export interface SigmaCompilation {
  readonly rule: SigmaRule;
  readonly detection: Detection;
  readonly patterns: RulePatterns;
  readonly scope: RuleScope;
}

export function compileSigmaRule(rule: SigmaRule): SigmaCompilation {
  const predicate = compileRule(rule);
  const patterns = rulePatterns(rule);
  const scope = ruleScope(rule);
  const title = rule.title;
  const detection: Detection = {
    id: `${SIGMA_ID_PREFIX}${rule.id}`,
    pack: 'sigma',
    title,
    // A rule's title is the user's own words; subjects keep at most 32 characters of it.
    shortTitle: cleanText(title, 32),
    description:
      rule.description === ''
        ? `Sigma rule "${title}" matched a CloudTrail event.`
        : rule.description,
    severity: SEVERITY[rule.level],
    riskScore: RISK_SCORE[rule.level],
    mitre: attackFromTags(rule.tags),
    calls: [],
    // Unused with an own condition, which decides the outcome; the alert records the call's.
    outcome: 'success',
    investigation: INVESTIGATION,
    falsePositives: rule.falsePositives.filter(
      (line) => !['unknown', 'none'].includes(line.trim().toLowerCase()),
    ),
    response: RESPONSE,
    references: rule.references,
    findings: (record: CloudTrailRecord) => [
      `${cleanText(record.eventName, 100)} on ${cleanText(record.eventSource, 100)} matched the Sigma rule "${cleanText(title, 200)}" (${rule.id})`,
    ],
    condition: {
      matches: predicate,
      eventPatterns: patterns.patterns,
      ...(scope.eventNames !== undefined ? { eventNames: scope.eventNames } : {}),
      ...(scope.eventSources !== undefined ? { eventSources: scope.eventSources } : {}),
      readOnly: scope.readOnly,
    },
  };
  return { rule, detection, patterns, scope };
}
