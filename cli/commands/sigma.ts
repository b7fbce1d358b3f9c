import type { SigmaCompilation, SigmaLoad } from '../../lambda/core/sigma';
import { SigmaPathError, loadSigmaPaths } from '../../lambda/sigma-loader';
import { FORMAT_OPTIONS, outputFormat, parseOptions, UsageError } from '../args';
import type { CliIo } from '../io';

export const SIGMA_HELP = `Usage: sgwatch sigma check [options] <path>...

Loads Sigma rules for CloudTrail (files, or folders searched for *.yml and
*.yaml), checks and compiles each, and shows what it deploys: its id, title and
level, the EventBridge pattern(s) of its rule, whether a pattern is exact or a
superset the detector narrows, what EventBridge lets through when it cannot
narrow the rule, and whether the rule needs read-only management events.

Rules whose logsource is not product aws, service cloudtrail are skipped, with a
note.

Options:
  --format FORMAT      table (default): a report per rule; json: one JSON
                       document; jsonl: one line per rule loaded. --json is
                       --format json
  -h, --help           this help

Run the rules over CloudTrail logs with "sgwatch replay --sigma PATH", and
deploy them with "cdk deploy -c sigmaRules=PATH" (see docs/sigma.md).

Exit status: 0 when every rule loads, 1 when any rule does not (each printed as
file:line: reason), 2 on a usage error.
`;

const EVERYTHING =
  'every management event of every service: the detector runs once per API call in the account and Region';

/** What EventBridge admits for a rule, in words, when it cannot admit exactly the rule. */
export function admits(compilation: SigmaCompilation): string {
  const { patterns, scope } = compilation;
  if (patterns.exact) return 'exactly the events the rule matches';
  if (patterns.patterns.every((pattern) => pattern.detail === undefined)) return EVERYTHING;
  const sources = scope.eventSources !== undefined ? ` of ${scope.eventSources.join(', ')}` : '';
  if (scope.eventNames !== undefined) {
    return `the calls ${scope.eventNames.join(', ')}${sources} that pass the pattern; the detector checks the rest of the rule`;
  }
  if (scope.eventSources !== undefined) {
    return `calls to ${scope.eventSources.join(', ')} that pass the pattern, any eventName; the detector checks the rest of the rule`;
  }
  return 'calls of any service and any eventName that pass the pattern; the detector checks the rest of the rule';
}

export const READ_ONLY_WARNING =
  'can match read-only calls (Describe*, Get*, List*...): its rules are deployed in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, which also delivers every read-only call the pattern admits';

function textReport(load: SigmaLoad): string {
  const lines: string[] = [];
  for (const compilation of load.compiled) {
    const { rule, detection, patterns, scope } = compilation;
    lines.push(`${detection.id}  ${rule.title}`);
    lines.push(`  file:      ${rule.file}:${rule.line}`);
    lines.push(`  level:     ${rule.level} (severity ${detection.severity})`);
    lines.push(
      `  pattern:   ${patterns.exact ? 'exact' : 'superset (the detector narrows it to the rule)'}, ${patterns.patterns.length} EventBridge rule${patterns.patterns.length === 1 ? '' : 's'}`,
    );
    patterns.patterns.forEach((pattern) => lines.push(`    ${JSON.stringify(pattern)}`));
    lines.push(`  admits:    ${admits(compilation)}`);
    if (scope.readOnly) lines.push(`  warning:   ${READ_ONLY_WARNING}`);
    lines.push('');
  }
  for (const skipped of load.skipped) {
    lines.push(`skipped ${skipped.file}:${skipped.line} "${skipped.title}": ${skipped.reason}`);
  }
  const total = load.compiled.length + load.errors.length;
  lines.push(
    `${load.compiled.length} of ${total} rule${total === 1 ? '' : 's'} loaded` +
      (load.skipped.length > 0 ? `, ${load.skipped.length} skipped (not CloudTrail)` : '') +
      (load.errors.length > 0 ? `, ${load.errors.length} did not load` : ''),
  );
  return `${lines.join('\n')}\n`;
}

/** The report for programs: every rule loaded, skipped or refused. */
function jsonReport(load: SigmaLoad) {
  return {
    rules: load.compiled.map((compilation) => ({
      id: compilation.detection.id,
      ruleId: compilation.rule.id,
      file: compilation.rule.file,
      line: compilation.rule.line,
      title: compilation.rule.title,
      level: compilation.rule.level,
      severity: compilation.detection.severity,
      exact: compilation.patterns.exact,
      patterns: compilation.patterns.patterns,
      admits: admits(compilation),
      readOnly: compilation.scope.readOnly,
    })),
    skipped: load.skipped,
    errors: load.errors.map((error) => ({
      file: error.file,
      line: error.line,
      reason: error.reason,
    })),
  };
}

export function sigmaCommand(argv: readonly string[], io: CliIo): number {
  const { values, positionals } = parseOptions(argv, {
    ...FORMAT_OPTIONS,
    help: { type: 'boolean', short: 'h' },
  });
  const [subcommand, ...paths] = positionals;
  if (values.help === true) {
    io.stdout.write(SIGMA_HELP);
    return 0;
  }
  if (subcommand !== 'check') {
    throw new UsageError(
      subcommand === undefined
        ? 'sigma needs a subcommand: sigma check <path>...'
        : `unknown sigma subcommand ${JSON.stringify(subcommand)}; the only one is check`,
    );
  }
  if (paths.length === 0) throw new UsageError('sigma check needs at least one file or folder');
  const format = outputFormat(values);
  let load: SigmaLoad;
  try {
    load = loadSigmaPaths(paths, io.cwd);
  } catch (error) {
    if (error instanceof SigmaPathError) throw new UsageError(error.message);
    throw error;
  }
  io.stdout.write(
    format === 'json'
      ? `${JSON.stringify(jsonReport(load), null, 2)}\n`
      : format === 'jsonl'
        ? jsonReport(load)
            .rules.map((rule) => `${JSON.stringify(rule)}\n`)
            .join('')
        : textReport(load),
  );
  for (const error of load.errors) io.stderr.write(`${error.message}\n`);
  return load.errors.length > 0 ? 1 : 0;
}
