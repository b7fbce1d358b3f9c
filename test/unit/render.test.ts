import { buildAlert } from '../../lambda/core/alert';
import type { Alert } from '../../lambda/core/alert';
import { CATALOG, findDetection } from '../../lambda/core/catalog';
import type { Detection } from '../../lambda/core/catalog';
import {
  MAX_MESSAGE_BYTES,
  MAX_SHORT_TITLE_LENGTH,
  MAX_SUBJECT_ACCOUNT_NAME,
  renderChatbot,
  renderEmail,
  renderMessage,
  renderSubject,
} from '../../lambda/core/render';
import { loadRecord } from '../support/fixtures';

const NOW = new Date('2026-03-02T09:16:00.000Z');
const rds = findDetection('aws.rds.create-db-security-group') as Detection;

function alertWith(overrides: {
  userAgent?: string;
  name?: string;
  description?: string;
  account?: string;
  extra?: Record<string, unknown>;
}): Alert {
  const base = loadRecord(
    'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json',
  );
  const record = {
    ...base,
    ...(overrides.userAgent !== undefined ? { userAgent: overrides.userAgent } : {}),
    ...(overrides.account !== undefined ? { recipientAccountId: overrides.account } : {}),
    requestParameters: {
      dBSecurityGroupName: overrides.name ?? 'legacy-reporting',
      dBSecurityGroupDescription: overrides.description ?? 'reporting access',
    },
    ...overrides.extra,
  };
  return buildAlert(rds, record, { now: NOW, retentionDays: 30 });
}

const HOSTILE: [label: string, value: string][] = [
  ['a Slack channel mention', 'ops <!channel> now'],
  ['a Slack user mention', 'ping <@U123ABC>'],
  ['a Slack link with a label', 'see <https://evil.example/x|the runbook>'],
  ['markdown emphasis and code', '*bold* _it_ ~gone~ `code` ```block```'],
  ['control characters and newlines', 'line1\nline2\r\n\u0007bell\u001b[31mred'],
  ['a bidi override', 'abc\u202egnp.exe'],
  ['a bare URL', 'visit https://evil.example/login'],
];

function chatbotDescription(alert: Alert): string {
  return (JSON.parse(renderChatbot(alert, rds)) as { content: { description: string } }).content
    .description;
}

describe('message rendering of attacker-controlled strings', () => {
  describe.each(HOSTILE)('with %s in the group name', (_label, value) => {
    const alert = alertWith({ name: value, description: value, userAgent: value });

    it('leaves no Slack control sequence in the chat message', () => {
      const description = chatbotDescription(alert);
      expect(description).not.toMatch(/<!channel>|<@U123ABC>|<https:\/\/evil/);
      // Our own link to the CloudTrail event is the only angle-bracket sequence allowed.
      const angleSequences = description.match(/<[^>]*>/g) ?? [];
      expect(
        angleSequences.every((s) => s.startsWith('<https://us-east-1.console.aws.amazon.com/')),
      ).toBe(true);
    });

    it('keeps every event string on its own line, free of control characters, in email', () => {
      const email = renderEmail(alert, rds);

      expect(email).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f\u202e]/);
      const nameLine = email.split('\n').find((line) => line.startsWith('  Name:'));
      expect(nameLine).toBeDefined();
      expect(email).not.toContain('https://evil');
    });

    it('keeps the subject a single short line', () => {
      const subject = renderSubject(alert, rds);
      expect(subject.length).toBeLessThan(100);

      expect(subject).not.toMatch(/[\u0000-\u001f\u007f]/);
    });
  });

  it('sets untrusted values in inline code with backticks replaced', () => {
    const description = chatbotDescription(alertWith({ name: 'a`b*c' }));
    expect(description).toContain('`aˋb*c`');
  });

  it('escapes ampersands and angle brackets the way Slack requires', () => {
    const description = chatbotDescription(alertWith({ name: 'a & <b>' }));
    expect(description).toContain('`a &amp; &lt;b&gt;`');
  });

  it('truncates a 10 KB value in every human format', () => {
    const huge = 'x'.repeat(10_240);
    const alert = alertWith({ name: huge, description: huge, userAgent: huge });
    const email = renderEmail(alert, rds);
    expect(email.split('\n').every((line) => line.length < 700)).toBe(true);
    expect(chatbotDescription(alert).length).toBeLessThan(3000);
  });

  it('never splits a surrogate pair when truncating', () => {
    const emoji = '😀'.repeat(400);
    const email = renderEmail(alertWith({ name: emoji }), rds);
    expect(email).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it('neutralises a hostile account id in the subject and attributes', () => {
    const alert = alertWith({ account: '1111\n22223333 <!here>' });
    const message = renderMessage(alert, rds);
    expect(message.subject).not.toContain('\n');
    expect(message.attributes.account).not.toContain('\n');
    expect(message.attributes.account).not.toBe('');
  });
});

describe('renderMessage', () => {
  it('gives every MessageStructure json key a string value and a string default', () => {
    const body = JSON.parse(renderMessage(alertWith({}), rds).message) as Record<string, unknown>;
    for (const value of Object.values(body)) expect(typeof value).toBe('string');
    expect(typeof body.default).toBe('string');
  });

  it('follows the Chatbot custom-notification schema', () => {
    const doc = JSON.parse(renderChatbot(alertWith({}), rds)) as {
      content: { nextSteps: string[]; keywords: string[] };
    };
    expect(doc).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: expect.any(String),
        description: expect.any(String),
      },
      metadata: { threadId: expect.any(String), eventType: 'aws.rds.create-db-security-group' },
    });
    expect(doc.content.nextSteps.length).toBeGreaterThan(0);
    expect(doc.content.keywords).toContain('low');
  });

  it('drops the raw record from the machine payload only when it would not fit', () => {
    const small = JSON.parse(renderMessage(alertWith({}), rds).message) as Record<string, string>;
    expect(JSON.parse(small.sqs ?? '{}').cloudTrailEvent).toEqual(expect.any(String));

    const bulky = alertWith({ extra: { responseElements: { blob: 'y'.repeat(200_000) } } });
    const rendered = renderMessage(bulky, rds);
    expect(Buffer.byteLength(rendered.message)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    const machine = JSON.parse(
      (JSON.parse(rendered.message) as Record<string, string>).sqs ?? '{}',
    );
    expect(machine.cloudTrailEvent).toBeUndefined();
    expect(machine.cloudTrailEventOmitted).toBe(true);
    expect(machine.alertId).toBe(bulky.alertId);
  });

  it('writes an email with who, what, where, when, why and links', () => {
    const email = renderEmail(alertWith({}), rds);
    for (const heading of ['Who', 'What', 'Why it matters', 'Investigate', 'Respond', 'Links']) {
      expect(email).toContain(`\n${heading}\n`);
    }
    expect(email).toContain('arn:aws:iam::111122223333:user/dana');
    expect(email).toContain('https://us-east-1.console.aws.amazon.com/cloudtrailv2/home');
  });
});

describe('the stable alert id subscribers deduplicate on', () => {
  const alert = alertWith({});
  const message = renderMessage(alert, rds);
  const body = JSON.parse(message.message) as Record<string, string>;

  it('is a message attribute, within the SNS limit of ten', () => {
    expect(message.attributes.alertId).toBe(alert.alertId);
    expect(Object.keys(message.attributes).length).toBeLessThanOrEqual(10);
  });

  it('appears in the email, the chat notification and the machine payloads', () => {
    expect(body.email).toContain(`Alert ID: ${alert.alertId}`);
    const chat = JSON.parse(body.default ?? '{}');
    expect(chat.id).toBe(alert.alertId);
    expect(chat.metadata.additionalContext.alertId).toBe(alert.alertId);
    expect(JSON.parse(body.sqs ?? '{}').alertId).toBe(alert.alertId);
    expect(JSON.parse(body.lambda ?? '{}').alertId).toBe(alert.alertId);
  });

  it('is the same when the same alert is rendered again, as a retried publish does', () => {
    const again = renderMessage(alertWith({}), rds);
    expect(again.attributes.alertId).toBe(message.attributes.alertId);
  });
});

describe('the subject of every detection', () => {
  const ACCOUNT_ID = '123456789012';
  // Longer than any Region AWS has named, so real ones have room to spare.
  const REGIONS = ['us-east-1', 'ap-southeast-2', 'us-isof-south-1', 'xx-northwest-central-9'];
  const LONG_NAME = 'payments-platform-production-eu-shared-services-'.repeat(5);
  const NAMES: [label: string, name: string | undefined][] = [
    ['no directory name', undefined],
    ['a short name', 'prod'],
    ['a name at the cap', 'n'.repeat(MAX_SUBJECT_ACCOUNT_NAME)],
    ['a 240-character name', LONG_NAME],
  ];
  const KINDS: [label: string, burst: Alert['burst']][] = [
    ['a new alert', undefined],
    [
      'update 99999 of a burst',
      {
        kind: 'update',
        groupId: 'g',
        threadId: 't',
        sequence: 99_999,
        detectionCount: 99_999,
        windowMinutes: 60,
        cap: 100_000,
      },
    ],
    [
      'a cap summary',
      {
        kind: 'summary',
        groupId: 'g',
        threadId: 't',
        sequence: 1,
        detectionCount: 101,
        windowMinutes: 60,
        cap: 100,
      },
    ],
  ];
  const base = alertWith({});
  const cases = CATALOG.flatMap((detection) =>
    REGIONS.flatMap((region) =>
      NAMES.flatMap(([nameLabel, name]) =>
        KINDS.map(([kindLabel, burst]) => ({
          label: `${detection.id}, ${region}, ${nameLabel}, ${kindLabel}`,
          detection,
          name,
          region,
          alert: {
            ...base,
            ruleId: detection.id,
            ruleTitle: detection.title,
            severity: 'critical' as const,
            account: ACCOUNT_ID,
            region,
            context: {
              ...base.context,
              account: { accountId: ACCOUNT_ID, ...(name !== undefined ? { name } : {}) },
            },
            ...(burst !== undefined ? { burst } : {}),
          },
        })),
      ),
    ),
  );

  it('gives every detection a short title within the subject’s budget', () => {
    for (const detection of CATALOG) {
      expect(detection.shortTitle.length).toBeLessThanOrEqual(MAX_SHORT_TITLE_LENGTH);
      expect(detection.shortTitle.trim()).toBe(detection.shortTitle);
    }
    expect(new Set(CATALOG.map((d) => d.shortTitle)).size).toBe(CATALOG.length);
  });

  it.each(cases.map((c) => [c.label, c] as const))(
    'keeps the detection, the account and the Region whole under 100 characters: %s',
    (_label, { alert, detection, name, region }) => {
      // Act
      const subject = renderSubject(alert, detection);

      // Assert
      expect(subject.length).toBeLessThan(100);
      expect(subject).toContain(detection.shortTitle);
      expect(subject.endsWith(`/${region}`)).toBe(true);
      if (name === undefined) {
        expect(subject).toContain(` in ${ACCOUNT_ID}/`);
      } else {
        // A long name is abbreviated, never dropped for a cut Region.
        const shown = /(?<= in ).*(?=\/[^/]*$)/.exec(subject)?.[0] ?? '';
        expect(shown.length).toBeGreaterThanOrEqual(Math.min(name.length, 8));
        expect(name.startsWith(shown.replace(/…$/, ''))).toBe(true);
        expect(shown.length).toBeLessThanOrEqual(MAX_SUBJECT_ACCOUNT_NAME);
      }
    },
  );

  it('names the kind of notification before the detection', () => {
    const [newAlert, update, summary] = KINDS.map(([, burst]) =>
      renderSubject({ ...base, ...(burst !== undefined ? { burst } : {}) }, rds),
    );
    expect(newAlert).toMatch(/^\[sgwatch\] [A-Z]+: RDS DB security group created in /);
    expect(update).toMatch(/^\[sgwatch\] UPDATE #99999: RDS DB security group created in /);
    expect(summary).toMatch(/^\[sgwatch\] CAP REACHED: RDS DB security group created in /);
  });

  it('stays under 100 characters even with an account id and Region no AWS record carries', () => {
    const subject = renderSubject(
      { ...base, account: '9'.repeat(64), region: 'r'.repeat(64) },
      rds,
    );
    expect(subject.length).toBeLessThan(100);
  });
});
