import type { CliIo } from '../io';
import type { CheckStatus, DoctorReport } from './findings';
import { clean } from './findings';

interface Style {
  readonly label: (status: CheckStatus) => string;
}

/** Symbols and colours only for a terminal that wants them (NO_COLOR, TERM=dumb opt out). */
function styleFor(io: CliIo): Style {
  const tty = io.stdout.isTTY === true;
  const colour = tty && io.env.NO_COLOR === undefined && io.env.TERM !== 'dumb';
  const words: Record<CheckStatus, string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL' };
  const symbols: Record<CheckStatus, string> = { ok: '✓', warn: '!', fail: '✗' };
  const colours: Record<CheckStatus, string> = { ok: '32', warn: '33', fail: '31' };
  return {
    label: (status) => {
      const word = tty ? `${symbols[status]} ${words[status].padEnd(4)}` : words[status].padEnd(4);
      return colour ? `\u001b[${colours[status]}m${word}\u001b[0m` : word;
    },
  };
}

export function textReport(report: DoctorReport, io: CliIo): string {
  const style = styleFor(io);
  const width = Math.max(...report.findings.map((f) => f.check.length));
  const labelWidth = io.stdout.isTTY === true ? 6 : 4;
  const indent = ' '.repeat(labelWidth + 2 + width + 2);
  const lines = [
    `sgwatch doctor: stack ${clean(report.stack)}` +
      (report.account !== null ? `, account ${report.account}` : '') +
      `, Region ${report.region}`,
    '',
  ];
  for (const finding of report.findings) {
    lines.push(
      `${style.label(finding.status)}  ${finding.check.padEnd(width)}  ${finding.finding}`,
    );
    finding.fix.forEach((step, i) => lines.push(`${indent}${i === 0 ? 'fix: ' : '     '}${step}`));
  }
  const count = (status: CheckStatus) => report.findings.filter((f) => f.status === status).length;
  const failures = count('fail');
  const warnings = count('warn');
  lines.push(
    '',
    failures > 0
      ? `${failures} failed, ${warnings} warning(s): detection is broken until the failures are fixed.`
      : warnings > 0
        ? `No failures, ${warnings} warning(s).`
        : `All ${report.findings.length} checks passed.`,
  );
  return `${lines.join('\n')}\n`;
}
