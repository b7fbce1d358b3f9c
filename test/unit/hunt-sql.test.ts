import { Parser } from 'node-sql-parser';
import {
  CATALOG,
  catalogFor,
  EXFILTRATION_PACK,
  EXPOSURE_PACK,
  SEED_PACK,
} from '../../lambda/core/catalog';
import { buildHuntSql, contentCondition, sqlString } from '../../lambda/core/hunt/sql';
import type { HuntQuery } from '../../lambda/core/hunt/sql';

const parser = new Parser();
const BASE: HuntQuery = {
  database: 'sgwatch_trail',
  table: 'cloudtrail',
  detections: CATALOG,
  since: Date.parse('2025-03-10T00:00:00Z'),
  until: Date.parse('2025-03-13T12:00:00Z'),
};

type Node = Record<string, unknown>;

/** The AND-ed conjuncts at the top of a WHERE clause. */
function conjuncts(node: Node): Node[] {
  if (node.type === 'binary_expr' && node.operator === 'AND')
    return [...conjuncts(node.left as Node), ...conjuncts(node.right as Node)];
  return [node];
}

/** The name of a column reference however the parser spells a quoted identifier. */
function nameOf(node: Node): string | undefined {
  if (node.type === 'double_quote_string') return node.value as string;
  if (node.type === 'column_ref') {
    const column = node.column as Node | string;
    if (typeof column === 'string') return column;
    return ((column.expr as Node).value as string | undefined) ?? undefined;
  }
  return undefined;
}

function whereOf(sql: string): Node[] {
  const ast = parser.astify(sql, { database: 'trino' }) as unknown as Node;
  return conjuncts(ast.where as Node);
}

function partitionTerm(sql: string, column: string): Node | undefined {
  return whereOf(sql).find((term) => nameOf(term.left as Node) === column);
}

describe('the hunt query', () => {
  it.each([
    ['every detection', BASE],
    ['one account and Region', { ...BASE, accounts: ['111122223333'], regions: ['eu-west-1'] }],
    ['the seed pack', { ...BASE, detections: SEED_PACK }],
    ['the exposure pack', { ...BASE, detections: EXPOSURE_PACK }],
    ['the exfiltration pack', { ...BASE, detections: EXFILTRATION_PACK }],
  ])('parses as Trino (Athena) SQL for %s', (_, query) => {
    // Prepare
    const sql = buildHuntSql(query);

    // Act
    const ast = parser.astify(sql, { database: 'trino' }) as unknown as Node;

    // Assess
    expect(ast.type).toBe('select');
    expect(ast.from).toEqual([
      expect.objectContaining({ db: 'sgwatch_trail', table: 'cloudtrail' }),
    ]);
  });

  it('always bounds the day partition, a day wider than the range on each side', () => {
    const term = partitionTerm(buildHuntSql(BASE), 'day');

    expect(term?.operator).toBe('BETWEEN');
    expect((term?.right as Node).value).toEqual([
      { type: 'single_quote_string', value: '2025/03/09' },
      { type: 'single_quote_string', value: '2025/03/14' },
    ]);
  });

  it('bounds accounts and Regions only when they are given', () => {
    const open = buildHuntSql(BASE);
    const narrow = buildHuntSql({
      ...BASE,
      accounts: ['444455556666', '111122223333'],
      regions: ['us-east-1'],
    });

    expect(partitionTerm(open, 'account')).toBeUndefined();
    expect(partitionTerm(open, 'region')).toBeUndefined();
    expect(partitionTerm(narrow, 'account')?.operator).toBe('IN');
    expect(narrow).toContain(`"account" IN ('111122223333', '444455556666')`);
    expect(narrow).toContain(`"region" IN ('us-east-1')`);
  });

  it('names every watched call, and the outcome where SQL can tell it, once per distinct condition', () => {
    const sql = buildHuntSql(BASE);

    for (const detection of CATALOG) {
      for (const call of detection.calls) {
        const branch = `eventsource = '${call.eventSource}' AND eventname = '${call.eventName}'`;
        // A failed call may carry errorCode: null, which the column reads as NULL, as it
        // reads an absent key: only success branches can say anything about the outcome.
        expect(sql).toContain(
          detection.outcome === 'failure' ? branch : `${branch} AND errorcode IS NULL`,
        );
      }
    }
    const branches = sql.split('\n').filter((line) => line.trim().startsWith('OR ('));
    expect(new Set(branches).size).toBe(branches.length);
    expect(sql).not.toContain('errorcode IS NOT NULL');
  });

  it('selects only the calls of the chosen pack', () => {
    const seed = buildHuntSql({ ...BASE, detections: catalogFor('seed') });

    expect(seed).toContain("'CreateDBSecurityGroup'");
    expect(seed).not.toContain("'ModifyDBInstance'");
  });

  it('looks for snapshot shares, exports and public restores and warehouses', () => {
    const sql = buildHuntSql(BASE);

    for (const [eventSource, eventName] of [
      ['rds.amazonaws.com', 'ModifyDBSnapshotAttribute'],
      ['rds.amazonaws.com', 'ModifyDBClusterSnapshotAttribute'],
      ['rds.amazonaws.com', 'StartExportTask'],
      ['rds.amazonaws.com', 'RestoreDBInstanceToPointInTime'],
      ['rds.amazonaws.com', 'CreateDBInstanceReadReplica'],
      ['rds.amazonaws.com', 'RestoreDBClusterFromSnapshot'],
      ['redshift.amazonaws.com', 'AuthorizeSnapshotAccess'],
      ['redshift.amazonaws.com', 'CreateCluster'],
      ['redshift-serverless.amazonaws.com', 'CreateWorkgroup'],
    ]) {
      expect(sql).toContain(`eventsource = '${eventSource}' AND eventname = '${eventName}'`);
    }
    // A share must name the restore attribute and add someone; a failed public share, all.
    expect(sql).toContain(`strpos(requestparameters, '"valuesToAdd"') > 0`);
    expect(sql).toContain(`strpos(requestparameters, '"accountWithRestoreAccess"') > 0`);
    // The Serverless response nests the workgroup: the query looks for that shape too.
    expect(sql).toContain(`strpos(responseelements, '"workgroup"') > 0`);
  });

  it('selects the exfiltration pack’s calls only when it is chosen', () => {
    const exposure = buildHuntSql({ ...BASE, detections: catalogFor('exposure') });
    const exfiltration = buildHuntSql({ ...BASE, detections: catalogFor('exfiltration') });

    expect(exposure).not.toContain("'StartExportTask'");
    expect(exfiltration).toContain("'StartExportTask'");
    // The failed public share has a branch of its own, which cannot filter on errorcode (an
    // absent and a null errorCode read alike in the table, and a null one is a failure).
    expect(exfiltration.split("eventname = 'ModifyDBSnapshotAttribute'")).toHaveLength(3);
    expect(exfiltration).toContain("eventname = 'ModifyDBSnapshotAttribute' AND ((strpos");
    expect(exfiltration).not.toContain("'CreateWorkgroup'");
  });

  it('is the same text every time for the same catalog and range', () => {
    expect(buildHuntSql({ ...BASE, regions: ['b', 'a'] })).toBe(
      buildHuntSql({ ...BASE, regions: ['a', 'b', 'a'] }),
    );
  });

  it('lets any request holding a backslash through a content condition', () => {
    const condition = contentCondition({ requestParameters: { publiclyAccessible: [true] } });

    expect(condition).toBe(
      `((strpos(requestparameters, '"publiclyAccessible"') > 0 AND strpos(requestparameters, 'true') > 0) OR strpos(requestparameters, chr(92)) > 0)`,
    );
  });

  it('puts no condition where the filter only says a key may be absent or a number compares', () => {
    expect(contentCondition({ requestParameters: { port: [{ numeric: ['>', 1] }] } })).toBe(
      `(strpos(requestparameters, '"port"') > 0 OR strpos(requestparameters, chr(92)) > 0)`,
    );
    expect(contentCondition({ requestParameters: { flag: [{ exists: false }] } })).toBe(true);
    expect(contentCondition(undefined)).toBe(true);
  });

  it('doubles quotes in string literals', () => {
    expect(sqlString("it's")).toBe("'it''s'");
  });

  it('rejects an empty selection and a range that ends before it starts', () => {
    expect(() => buildHuntSql({ ...BASE, detections: [] })).toThrow(/at least one detection/);
    expect(() => buildHuntSql({ ...BASE, until: BASE.since - 1 })).toThrow(/ends before/);
  });
});
