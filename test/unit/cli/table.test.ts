import fc from 'fast-check';
import { displayWidth } from '../../../cli/display-width';
import {
  ALERT_COLUMNS,
  principalShortName,
  regionCode,
  shortAccountRegions,
  shortTimes,
} from '../../../cli/format';
import type { Column } from '../../../cli/table';
import { fitWidth, leftOutNote, printTable, renderTable } from '../../../cli/table';
import { watchedEventNames } from '../../../lambda/core/catalog';
import { cleanText } from '../../../lambda/core/text';
import { parseTable } from '../../support/table-text';

const HEADERS = ALERT_COLUMNS.map((column) => column.header);
/** The columns a narrow terminal may leave out, in the order it does. */
const DROP_ORDER = ['STATUS', 'RESULT', 'ACCOUNT/REGION', 'GROUP', 'PRINCIPAL'];
const CALLS = watchedEventNames();
const LONGEST_CALL = [...CALLS].sort((a, b) => b.length - a.length)[0] ?? '';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text as attacker-controlled event fields hold it: any code point, emoji, CJK, bidi controls. */
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 10 }),
  // Lengths up to the bound, not only the short ones fast-check favours by default.
  fc.string({ unit: 'binary', maxLength: 300, size: 'max' }),
  fc.string({ unit: 'grapheme', maxLength: 60, size: 'max' }),
  fc.constantFrom(
    'データベース-本番',
    '数据库🔥🔥-prod',
    'evil\u202eexe.txt',
    'cafe\u0301-cache',
    '\u200b\u200b',
    '',
  ),
);

const alertRow = fc.record({
  id: fc.stringMatching(/^[0-9a-f]{20}$/),
  time: fc
    .date({ min: new Date('2015-01-01'), max: new Date('2035-12-31'), noInvalidDate: true })
    .map((date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z')),
  severity: fc.constantFrom('low', 'medium', 'high', 'critical'),
  call: fc.constantFrom(...CALLS),
  result: fc.oneof(
    fc.constant('success'),
    fc.stringMatching(/^[A-Za-z.]{1,40}$/).map((code) => `failed: ${code}`),
  ),
  where: fc
    .tuple(
      fc.stringMatching(/^\d{12}$/),
      fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-gov-west-1', 'mars-1'),
    )
    .map(([account, region]) => `${account}/${region}`),
  principal: fc.oneof(
    hostileText,
    fc
      .tuple(fc.stringMatching(/^[\w+=,.@-]{1,64}$/), fc.stringMatching(/^[\w+=,.@-]{2,64}$/))
      .map(([role, session]) => `assumed-role/${role}/${session}`),
  ),
  group: hostileText,
  status: fc.constantFrom('open', 'acknowledged', 'resolved', 'suppressed'),
});

const rows = fc
  .array(alertRow, { minLength: 1, maxLength: 12 })
  .map((alerts) =>
    alerts.map((a) => [
      a.id,
      a.time,
      a.severity,
      a.call,
      a.result,
      a.where,
      a.principal,
      a.group,
      a.status,
    ]),
  );

/** The short forms a whole column may show instead of `cell`. */
function wholeForms(header: string, cell: string): string[] {
  if (header === 'SEV') return [cell, cell.replace('critical', 'crit').replace('medium', 'med')];
  if (header === 'TIME') {
    const minute = cell.slice(0, 16).replace('T', ' ');
    return [cell, minute, minute.slice(5)];
  }
  return [cell];
}

describe('renderTable in a terminal', () => {
  it('fits every line into any width from 80 up, keeping ID, TIME, SEV and CALL whole', () => {
    fc.assert(
      fc.property(rows, fc.integer({ min: 80, max: 200 }), (cells, width) => {
        const rendered = renderTable(ALERT_COLUMNS, cells, width);
        const table = parseTable(rendered.text);

        for (const line of table.lines) expect(displayWidth(line)).toBeLessThanOrEqual(width);
        expect(table.lines).toHaveLength(cells.length + 2);
        cells.forEach((row, r) => {
          for (const [c, header] of ['ID', 'TIME', 'SEV', 'CALL'].entries()) {
            expect(wholeForms(header, row[c] ?? '')).toContain(table.rows[r]?.[c]);
          }
        });
        // Columns are left out least useful first, and named in a note that fits 80 columns.
        expect(rendered.leftOut).toEqual(DROP_ORDER.slice(0, rendered.leftOut.length));
        expect(table.headers).toHaveLength(HEADERS.length - rendered.leftOut.length);
        if (rendered.leftOut.length > 0) {
          expect(displayWidth(leftOutNote(rendered.leftOut))).toBeLessThanOrEqual(80);
        }
        expect(LONE_SURROGATE.test(rendered.text)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the longest call the catalog watches whole at 80 columns, with times of different years', () => {
    const cells = [
      ['0123456789abcdef0123', '2025-12-31T23:59:59Z', 'critical', LONGEST_CALL, 'success'],
      [
        'fedcba9876543210fedc',
        '2026-01-01T00:00:01Z',
        'medium',
        'CreateDBSecurityGroup',
        'success',
      ],
    ].map((row) => [...row, '111122223333/eu-west-1', 'user/dana', 'legacy-reporting', 'open']);

    const rendered = renderTable(ALERT_COLUMNS, cells, 80);
    const table = parseTable(rendered.text);

    expect(table.headers).toEqual(['ID', 'TIME (UTC)', 'SEV', 'CALL']);
    expect(table.rows[0]).toEqual([
      '0123456789abcdef0123',
      '2025-12-31 23:59',
      'crit',
      'AuthorizeCacheSecurityGroupIngress',
    ]);
    expect(Math.max(...table.lines.map(displayWidth))).toBeLessThanOrEqual(80);
    expect(rendered.leftOut).toEqual(DROP_ORDER);
  });

  it('abbreviates before it leaves a column out, and leaves columns out before it cuts', () => {
    const cells = [
      [
        '0123456789abcdef0123',
        '2026-03-14T10:00:00Z',
        'medium',
        'CreateDBSecurityGroup',
        'failed: InvalidParameterCombination',
        '111122223333/eu-west-1',
        'assumed-role/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6789/dana@example.com',
        'legacy-reporting',
        'acknowledged',
      ],
    ];
    const whole = parseTable(renderTable(ALERT_COLUMNS, cells).text);
    const natural = Math.max(...whole.lines.map(displayWidth));

    // A little too narrow: the least useful short forms are enough, nothing is dropped or cut.
    const slightly = renderTable(ALERT_COLUMNS, cells, natural - 10);
    expect(slightly.leftOut).toEqual([]);
    expect(slightly.text).not.toContain('…');
    expect(parseTable(slightly.text).rows[0]?.[4]).toBe('failed');
    expect(parseTable(slightly.text).rows[0]?.[1]).toBe('2026-03-14T10:00:00Z');

    // A terminal wider than the table changes nothing.
    expect(parseTable(renderTable(ALERT_COLUMNS, cells, 1000).text)).toEqual(whole);

    // Much too narrow: every short form, then STATUS left out, before any cell is cut.
    const narrow = renderTable(ALERT_COLUMNS, cells, 120);
    expect(narrow.leftOut).toEqual(['STATUS']);
    expect(parseTable(narrow.text).rows[0]).toEqual([
      '0123456789abcdef0123',
      '03-14 10:00',
      'med',
      'CreateDBSecurityGroup',
      'failed',
      '…3333/euw1',
      'dana@example.com',
      'legacy-reporting',
    ]);
    // Cutting the principal and group to 14 columns each fits 114 without dropping RESULT.
    const tighter = renderTable(ALERT_COLUMNS, cells, 114);
    expect(tighter.leftOut).toEqual(['STATUS']);
    expect(parseTable(tighter.text).rows[0]?.slice(4)).toEqual([
      'failed',
      '…3333/euw1',
      'dana@example.…',
      'legacy-report…',
    ]);
    // Narrower, they would have to be cut below 12 columns: RESULT goes too, then the account.
    expect(renderTable(ALERT_COLUMNS, cells, 105).leftOut).toEqual(['STATUS', 'RESULT']);
    expect(renderTable(ALERT_COLUMNS, cells, 101).leftOut).toEqual([
      'STATUS',
      'RESULT',
      'ACCOUNT/REGION',
    ]);
  });

  it('cuts hostile cells by display columns: a 10,000-character principal, bidi controls, emoji and CJK', () => {
    const cells = [
      [
        '0123456789abcdef0123',
        '2026-03-14T10:00:00Z',
        'high',
        'CreateCacheSecurityGroup',
        'success',
        '111122223333/eu-west-1',
        `user/${'x'.repeat(10_000)}`,
        `キャッシュ🔥\u202e${'データ'.repeat(30)}`,
        'open',
      ],
    ];
    for (const width of [80, 100, 120, 160]) {
      const rendered = renderTable(ALERT_COLUMNS, cells, width);
      const table = parseTable(rendered.text);
      for (const line of table.lines) expect(displayWidth(line)).toBeLessThanOrEqual(width);
      expect(table.rows[0]?.[0]).toBe('0123456789abcdef0123');
      expect(table.rows[0]?.[3]).toBe('CreateCacheSecurityGroup');
      expect(rendered.text).not.toContain('\u202e');
      expect(LONE_SURROGATE.test(rendered.text)).toBe(false);
    }
    const wide = parseTable(renderTable(ALERT_COLUMNS, cells, 160).text);
    const group = wide.rows[0]?.[wide.headers.indexOf('GROUP')] ?? '';
    expect(group).toMatch(/^キャッシュ🔥 (データ)+[デー]*…$/);
    expect(displayWidth(group)).toBeGreaterThanOrEqual(12);
  });

  it('leaves whole columns whole, overflowing rather than cutting, when they alone are too wide', () => {
    const columns: Column[] = [
      { header: 'ID', priority: 2, whole: true },
      { header: 'NOTE', priority: 1, droppable: true },
    ];
    const id = 'i'.repeat(90);
    const rendered = renderTable(columns, [[id, 'a note']], 80);
    expect(rendered.text).toContain(id);
    expect(rendered.leftOut).toEqual(['NOTE']);
  });
});

describe('renderTable without a terminal width', () => {
  it('shows every cell of every row whole, however wide', () => {
    fc.assert(
      fc.property(rows, (cells) => {
        const rendered = renderTable(ALERT_COLUMNS, cells);
        const table = parseTable(rendered.text);

        expect(rendered.leftOut).toEqual([]);
        expect(table.headers).toEqual(HEADERS);
        cells.forEach((row, r) => {
          expect(table.rows[r]).toEqual(row.map((cell) => cleanText(cell, 10_000)));
        });
      }),
      { numRuns: 200 },
    );
  });

  it('keeps a 1,024-character principal whole', () => {
    const principal = `user/${'p'.repeat(1019)}`;
    const text = renderTable(ALERT_COLUMNS, [
      [
        'id',
        '2026-03-14T10:00:00Z',
        'low',
        'CreateDBSecurityGroup',
        'success',
        'a/b',
        principal,
        'g',
        'open',
      ],
    ]).text;
    expect(text).toContain(principal);
  });
});

describe('fitWidth', () => {
  it('fits a terminal, and never a pipe, a file or --wide', () => {
    expect(fitWidth({ write: () => true, isTTY: true, columns: 120 }, false)).toBe(120);
    expect(fitWidth({ write: () => true, isTTY: true, columns: 120 }, true)).toBeUndefined();
    expect(fitWidth({ write: () => true, isTTY: false, columns: 120 }, false)).toBeUndefined();
    expect(fitWidth({ write: () => true }, false)).toBeUndefined();
  });
});

describe('leftOutNote', () => {
  it('names the columns left out and how to see them, in one line of at most 80 columns', () => {
    expect(leftOutNote(['STATUS', 'RESULT'])).toBe(
      'sgwatch: left out STATUS, RESULT (--wide or --format jsonl shows all)',
    );
    for (let count = 1; count <= DROP_ORDER.length + 1; count += 1) {
      const note = leftOutNote(['THIS RUN', ...DROP_ORDER].slice(0, count));
      expect(displayWidth(note)).toBeLessThanOrEqual(80);
      expect(note).toContain('(--wide or --format jsonl shows all)');
      expect(note).toContain('left out THIS RUN');
      expect(note).not.toContain('\n');
    }
    expect(leftOutNote(DROP_ORDER)).toBe(
      'sgwatch: left out STATUS, RESULT and 3 more (--wide or --format jsonl shows all)',
    );
  });
});

describe('printTable', () => {
  function io(columns?: number) {
    const out = { stdout: '', stderr: '' };
    return {
      out,
      io: {
        stdout: {
          write: (chunk: string) => (out.stdout += chunk),
          isTTY: columns !== undefined,
          ...(columns !== undefined ? { columns } : {}),
        },
        stderr: { write: (chunk: string) => (out.stderr += chunk) },
        env: {},
        cwd: '/',
        now: () => new Date(),
      },
    };
  }
  const cells = [
    ['0123456789abcdef0123', '2026-03-14T10:00:00Z', 'high', 'CreateDBSecurityGroup', 'success'],
  ].map((row) => [...row, '111122223333/eu-west-1', 'user/dana', 'legacy-reporting', 'open']);

  it('prints the note on stderr after a table that left columns out', () => {
    const { io: terminal, out } = io(80);
    printTable(terminal, ALERT_COLUMNS, cells, false);
    expect(out.stderr).toBe(`${leftOutNote(DROP_ORDER.slice(0, 4))}\n`);
    expect(parseTable(out.stdout).headers).toEqual([
      'ID',
      '2026 (UTC)',
      'SEV',
      'CALL',
      'PRINCIPAL',
    ]);
  });

  it('prints no note when nothing was left out, piped or with --wide', () => {
    for (const [columns, wide] of [
      [undefined, false],
      [80, true],
      [200, false],
    ] as const) {
      const { io: output, out } = io(columns);
      printTable(output, ALERT_COLUMNS, cells, wide);
      expect(out.stderr).toBe('');
      expect(parseTable(out.stdout).headers).toEqual(HEADERS);
    }
  });
});

describe('short forms', () => {
  it('writes times to the minute, without the year when every row shares it', () => {
    expect(shortTimes(['2026-03-14T10:00:59Z', '2026-01-02T03:04:05Z'])).toEqual({
      header: '2026 (UTC)',
      cells: ['03-14 10:00', '01-02 03:04'],
    });
    expect(shortTimes(['2025-12-31T23:59:59Z', '2026-01-01T00:00:00Z'])).toEqual({
      header: 'TIME (UTC)',
      cells: ['2025-12-31 23:59', '2026-01-01 00:00'],
    });
  });

  it.each([
    ['us-east-1', 'use1'],
    ['eu-west-1', 'euw1'],
    ['ap-southeast-2', 'apse2'],
    ['eu-central-1', 'euc1'],
    ['us-gov-west-1', 'usgw1'],
    ['not a region', 'not a region'],
  ])('writes the Region %s as %s', (region, code) => {
    expect(regionCode(region)).toBe(code);
  });

  it('shortens accounts to the fewest last digits that keep them apart', () => {
    expect(shortAccountRegions(['111122223333/eu-west-1', '444455556666/us-east-1']).cells).toEqual(
      ['…3333/euw1', '…6666/use1'],
    );
    expect(shortAccountRegions(['111111113333/eu-west-1', '222222223333/eu-west-1']).cells).toEqual(
      ['…113333/euw1', '…223333/euw1'],
    );
    expect(shortAccountRegions(['111111333333/eu-west-1', '222222333333/eu-west-1']).cells).toEqual(
      ['111111333333/euw1', '222222333333/euw1'],
    );
    expect(shortAccountRegions(['unknown/eu-west-1']).cells).toEqual(['unknown/eu-west-1']);
  });

  it.each([
    [
      'assumed-role/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6789/dana@example.com',
      'dana@example.com',
    ],
    ['assumed-role/github-actions-deploy/GitHubActions', 'github-actions-deploy'],
    ['user/svc-backup', 'svc-backup'],
    ['user/division/team/svc-backup', 'svc-backup'],
    ['federated-user/contractor', 'contractor'],
    ['root', 'root'],
    ['ec2.amazonaws.com', 'ec2.amazonaws.com'],
  ])('gives %s the short name %s', (principal, name) => {
    expect(principalShortName(principal)).toBe(name);
  });
});
