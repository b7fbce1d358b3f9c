/**
 * The parts of the documentation that restate code: the detection tables, the list of
 * detection ids and the fixed-cost figures. Each lives between a pair of marker comments
 *
 *   <!-- generated:NAME start -->  …  <!-- generated:NAME end -->
 *
 * and is rewritten from the catalog and a synthesized template by `npm run docs`. A test
 * (`test/unit/docs.test.ts`) fails when a file differs from what this script would write.
 *
 * It also writes the JSON Schema of `sgwatch.config.json` (`schema/sgwatch.config.schema.json`)
 * from the valibot schema the loader validates with; see `config-schema.ts`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { createSgwatchApp } from '../bin/app';
import type { Detection, DetectionSelection } from '../lambda/core/catalog';
import { CATALOG } from '../lambda/core/catalog';
import { severityForScore } from '../lambda/core/enrich/risk';
import { STACK_NAME } from '../lib/deployment-names';
import { CONFIG_SCHEMA_FILE, configJsonSchema } from './config-schema';

export const REPO_ROOT = join(__dirname, '..');

/** Each generated section, by the file that holds it. */
export const GENERATED_FILES = {
  'README.md': ['readme-detections'],
  'docs/deploying.md': ['fixed-cost'],
  'docs/detections.md': ['detections-table'],
  'docs/configuration.md': ['detection-ids'],
} as const;

type SectionName = (typeof GENERATED_FILES)[keyof typeof GENERATED_FILES][number];

/** Monthly list prices in us-east-1 behind the fixed-cost figures. */
const PRICE = { kmsKey: 1, alarm: 0.1, dashboard: 3 } as const;

function code(text: string): string {
  return `\`${text}\``;
}

/** A Markdown table padded as Prettier pads one, so `prettier --check` accepts it as written. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const width = (text: string): number => [...text].length;
  const widths = header.map((title, column) =>
    Math.max(3, width(title), ...rows.map((row) => width(row[column] ?? ''))),
  );
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, column) => cell + ' '.repeat((widths[column] ?? 0) - width(cell))).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** `medium / 47`, and what the detection's own risk rules can raise it to. */
function severityCell(detection: Detection): string {
  const base = `${detection.severity} / ${detection.riskScore}`;
  const raised = (detection.riskRules ?? []).map((rule) => {
    const score = Math.min(100, Math.max(0, detection.riskScore + rule.delta));
    return `${severityForScore(score)} / ${score} with ${code(rule.id)}`;
  });
  return raised.length === 0 ? base : `${base} (${raised.join('; ')})`;
}

function callsCell(detection: Detection): string {
  const names = [...new Set(detection.calls.map((call) => call.eventName))].map(code).join(', ');
  return detection.outcome === 'failure' ? `${names}, failed calls` : names;
}

function whatCell(detection: Detection): string {
  const origin = detection.elastic;
  return origin === undefined
    ? detection.title
    : `${detection.title}; re-implements Elastic's ${origin.name} (${code(origin.ruleId)})`;
}

function readmeDetections(): string {
  return table(
    ['Pack', 'Detection id', 'Catches', 'Calls (successful unless noted)', 'Severity / risk'],
    CATALOG.map((d) => [d.pack, code(d.id), whatCell(d), callsCell(d), severityCell(d)]),
  );
}

function detectionsTable(): string {
  return table(
    ['Pack', 'Detection id', 'Fires on', 'Calls (successful unless noted)', 'Severity / risk'],
    CATALOG.map((d) => [code(d.pack), code(d.id), d.title, callsCell(d), severityCell(d)]),
  );
}

function detectionIds(): string {
  return CATALOG.map((d) => `- ${code(d.id)} (${d.pack}): ${d.title}`).join('\n');
}

function money(amount: number): string {
  return `$${amount.toFixed(2)}`;
}

interface HubCounts {
  readonly alarms: number;
  readonly keys: number;
  readonly dashboards: number;
  readonly rules: number;
}

const countsBySelection = new Map<DetectionSelection, HubCounts>();

/** Resource counts of the hub as `cdk synth` writes it for `detections` and no other context. */
function hubCounts(detections: DetectionSelection): HubCounts {
  const known = countsBySelection.get(detections);
  if (known !== undefined) return known;
  const counts = synthesizedCounts(detections);
  countsBySelection.set(detections, counts);
  return counts;
}

function synthesizedCounts(detections: DetectionSelection): HubCounts {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const outdir = mkdtempSync(join(tmpdir(), 'sgwatch-docs-'));
  try {
    const { app } = createSgwatchApp({
      outdir,
      context: { ...cdkJson.context, [BUNDLING_STACKS]: [], detections },
      hubEnv: {},
      warn: () => undefined,
    });
    const template = app.synth().getStackByName(STACK_NAME).template as {
      Resources: Record<string, { Type: string }>;
    };
    const count = (type: string): number =>
      Object.values(template.Resources).filter((resource) => resource.Type === type).length;
    return {
      alarms: count('AWS::CloudWatch::Alarm'),
      keys: count('AWS::KMS::Key'),
      dashboards: count('AWS::CloudWatch::Dashboard'),
      rules: count('AWS::Events::Rule'),
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** A list item wrapped as the rest of the prose is, continuation lines indented. */
function bullet(text: string, width = 90): string {
  const lines: string[] = [];
  let line = '-';
  for (const word of text.split(' ')) {
    if (line.length + 1 + word.length > width && line.trim() !== '-') {
      lines.push(line);
      line = ' ';
    }
    line += ` ${word}`;
  }
  return [...lines, line].join('\n');
}

function fixedCost(): string {
  const all = hubCounts('all');
  const seed = hubCounts('seed');
  const keys = all.keys * PRICE.kmsKey;
  const alarms = all.alarms * PRICE.alarm;
  const dashboards = all.dashboards * PRICE.dashboard;
  return [
    `${all.keys} customer-managed KMS keys (alert table, alert topic, operations topic, ` +
      `detector log group) at ${money(PRICE.kmsKey)} each: ${money(keys)}/month.`,
    `${all.alarms} CloudWatch alarms with every pack (${seed.alarms} with ` +
      `\`detections=seed\`): one per rule (${all.rules} rules, each detection on the default ` +
      `bus and on the hub bus), plus detector errors and throttles, each dead-letter queue ` +
      `and SNS delivery, at ${money(PRICE.alarm)} each: ${money(alarms)}/month.`,
    `${all.dashboards} dashboard: ${money(dashboards)}/month beyond the free three.`,
    `Together about ${money(keys + alarms + dashboards)}/month before any traffic ` +
      `(us-east-1 list prices).`,
  ]
    .map((item) => bullet(item))
    .join('\n');
}

function render(name: SectionName): string {
  switch (name) {
    case 'readme-detections':
      return readmeDetections();
    case 'detections-table':
      return detectionsTable();
    case 'detection-ids':
      return detectionIds();
    case 'fixed-cost':
      return fixedCost();
  }
}

/** Thrown when a file lacks a section's markers; names the file and the section. */
export class DocsMarkerError extends Error {
  override readonly name = 'DocsMarkerError';
}

function replaceSection(file: string, text: string, name: string, body: string): string {
  const start = `<!-- generated:${name} start -->`;
  const end = `<!-- generated:${name} end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) {
    throw new DocsMarkerError(`${file}: markers for the "${name}" section are missing`);
  }
  return `${text.slice(0, from + start.length)}\n\n${body}\n\n${text.slice(to)}`;
}

/** What `file` (relative to the repository root) should contain: its sections rewritten. */
export function generatedText(file: keyof typeof GENERATED_FILES): string {
  const path = join(REPO_ROOT, file);
  let text = readFileSync(path, 'utf8');
  for (const name of GENERATED_FILES[file]) text = replaceSection(file, text, name, render(name));
  return text;
}

/** Whether the committed JSON Schema says what the valibot schema does (layout aside). */
export function configSchemaIsCurrent(): boolean {
  const committed: unknown = JSON.parse(readFileSync(join(REPO_ROOT, CONFIG_SCHEMA_FILE), 'utf8'));
  return isDeepStrictEqual(committed, configJsonSchema());
}

/** The generated files whose content differs from what this script writes. */
export function staleFiles(): string[] {
  const stale: string[] = [];
  for (const file of Object.keys(GENERATED_FILES) as (keyof typeof GENERATED_FILES)[]) {
    if (generatedText(file) !== readFileSync(join(REPO_ROOT, file), 'utf8')) {
      stale.push(file);
    }
  }
  if (!configSchemaIsCurrent()) stale.push(CONFIG_SCHEMA_FILE);
  return stale;
}

/** Writes the JSON Schema laid out as Prettier lays out the rest of the repository. */
async function writeConfigSchema(): Promise<void> {
  // Loaded here, not at the top: Prettier imports modules dynamically, which Jest (running
  // the docs test against this file) refuses.
  const { format, resolveConfig } = await import('prettier');
  const path = join(REPO_ROOT, CONFIG_SCHEMA_FILE);
  const options = await resolveConfig(path);
  writeFileSync(
    path,
    await format(JSON.stringify(configJsonSchema()), { ...options, filepath: path }),
  );
}

async function main(args: readonly string[]): Promise<number> {
  if (args.includes('--check')) {
    const stale = staleFiles();
    for (const file of stale) process.stderr.write(`${file} is out of date: run npm run docs\n`);
    return stale.length === 0 ? 0 : 1;
  }
  for (const file of Object.keys(GENERATED_FILES) as (keyof typeof GENERATED_FILES)[]) {
    writeFileSync(join(REPO_ROOT, file), generatedText(file));
  }
  await writeConfigSchema();
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
