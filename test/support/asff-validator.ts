/**
 * Checks a finding against the AWS Security Finding Format as the Security Hub API reference
 * documents it (AwsSecurityFinding, Resource, Severity, Note, Recommendation, Workflow and the
 * Types taxonomy). The local Security Hub endpoint rejects what this rejects, and the mapping's
 * unit tests hold every fixture to it, so both agree on what AWS would refuse.
 */

const SCHEMA_VERSION = '2018-10-08';
const NAMESPACES = new Set([
  'Software and Configuration Checks',
  'TTPs',
  'Effects',
  'Unusual Behaviors',
  'Sensitive Data Identifications',
]);
const SEVERITY_LABELS = new Set(['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']);
const WORKFLOW_STATUSES = new Set(['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED']);
const PARTITIONS = new Set(['aws', 'aws-cn', 'aws-us-gov']);
/** RFC 3339 as Security Hub accepts it: no spaces, up to nine fractional digits, Z or offset. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const NON_BLANK = /\S/;
const PRODUCT_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):securityhub:[a-z0-9-]+:(\d{12})?:product\/[^/]+\/[^/]+$/;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects every problem rather than stopping at the first, so a test failure says it all. */
class Problems {
  readonly list: string[] = [];
  add(problem: string): void {
    this.list.push(problem);
  }
  string(obj: Json, key: string, where: string, max?: number, min = 1): string | undefined {
    const value = obj[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      this.add(`${where}${key} must be a string`);
      return undefined;
    }
    if (value.length < min || !NON_BLANK.test(value)) this.add(`${where}${key} must not be blank`);
    if (max !== undefined && value.length > max) {
      this.add(`${where}${key} is ${value.length} characters; the maximum is ${max}`);
    }
    return value;
  }
  required(obj: Json, key: string, where: string, max?: number): string | undefined {
    if (obj[key] === undefined) {
      this.add(`${where}${key} is required`);
      return undefined;
    }
    return this.string(obj, key, where, max);
  }
  timestamp(obj: Json, key: string, where: string, required: boolean): string | undefined {
    const value = required ? this.required(obj, key, where) : this.string(obj, key, where);
    if (value !== undefined && (!TIMESTAMP.test(value) || Number.isNaN(Date.parse(value)))) {
      this.add(`${where}${key} "${value}" is not an RFC 3339 timestamp`);
    }
    return value;
  }
  map(
    obj: Json,
    key: string,
    where: string,
    pairs: number,
    keyMax: number,
    valueMax: number,
  ): void {
    const value = obj[key];
    if (value === undefined) return;
    if (!isObject(value)) {
      this.add(`${where}${key} must be a map of strings`);
      return;
    }
    const entries = Object.entries(value);
    if (entries.length > pairs)
      this.add(`${where}${key} has ${entries.length} pairs; the maximum is ${pairs}`);
    for (const [k, v] of entries) {
      if (k.length === 0 || k.length > keyMax)
        this.add(`${where}${key} key "${k}" must be 1-${keyMax} characters`);
      if (typeof v !== 'string') this.add(`${where}${key}.${k} must be a string`);
      else if (v.length > valueMax)
        this.add(`${where}${key}.${k} is ${v.length} characters; the maximum is ${valueMax}`);
    }
  }
}

function checkTypes(problems: Problems, types: unknown, where: string): void {
  if (types === undefined) return;
  if (!Array.isArray(types) || types.length === 0 || types.length > 50) {
    problems.add(`${where}Types must be a list of 1-50 types`);
    return;
  }
  for (const type of types) {
    if (typeof type !== 'string') {
      problems.add(`${where}Types entries must be strings`);
      continue;
    }
    const [namespace, ...rest] = type.split('/');
    if (
      namespace === undefined ||
      !NAMESPACES.has(namespace) ||
      rest.length > 2 ||
      rest.some((part) => part.trim() === '')
    ) {
      problems.add(
        `${where}Types "${type}" is not namespace/category/classifier with a defined namespace`,
      );
    }
  }
}

function checkSeverity(problems: Problems, severity: unknown, where: string): boolean {
  if (severity === undefined) return false;
  if (!isObject(severity)) {
    problems.add(`${where}Severity must be an object`);
    return false;
  }
  const { Label: label, Normalized: normalized } = severity;
  if (label !== undefined && (typeof label !== 'string' || !SEVERITY_LABELS.has(label))) {
    problems.add(`${where}Severity.Label ${JSON.stringify(label)} is not a severity label`);
  }
  if (
    normalized !== undefined &&
    (!Number.isInteger(normalized) || (normalized as number) < 0 || (normalized as number) > 100)
  ) {
    problems.add(`${where}Severity.Normalized must be an integer from 0 to 100`);
  }
  if (severity.Original !== undefined) problems.string(severity, 'Original', `${where}Severity.`);
  return label !== undefined || normalized !== undefined;
}

function checkResources(problems: Problems, resources: unknown): void {
  if (!Array.isArray(resources)) {
    problems.add('Resources is required: a list of 1-32 resources');
    return;
  }
  if (resources.length < 1 || resources.length > 32) {
    problems.add(`Resources has ${resources.length} entries; it must have 1-32`);
  }
  resources.forEach((resource: unknown, i) => {
    const where = `Resources[${i}].`;
    if (!isObject(resource)) {
      problems.add(`${where} must be an object`);
      return;
    }
    problems.required(resource, 'Type', where, 256);
    problems.required(resource, 'Id', where);
    problems.string(resource, 'Region', where, 16);
    const partition = resource.Partition;
    if (partition !== undefined && (typeof partition !== 'string' || !PARTITIONS.has(partition))) {
      problems.add(
        `${where}Partition ${JSON.stringify(partition)} is not aws, aws-cn or aws-us-gov`,
      );
    }
    const details = resource.Details;
    if (details !== undefined) {
      if (!isObject(details)) problems.add(`${where}Details must be an object`);
      else problems.map(details, 'Other', `${where}Details.`, 50, 127, 1023);
    }
  });
}

/**
 * The problems with `finding` as a BatchImportFindings entry from `account` (which must own
 * both the finding and, for a default product, the product); empty when it is valid.
 */
export function asffProblems(finding: unknown, account?: string): string[] {
  const problems = new Problems();
  if (!isObject(finding)) return ['a finding must be a JSON object'];
  if (finding.SchemaVersion !== SCHEMA_VERSION) {
    problems.add(
      `SchemaVersion must be "${SCHEMA_VERSION}", got ${JSON.stringify(finding.SchemaVersion)}`,
    );
  }
  problems.required(finding, 'Id', '', 512);
  problems.required(finding, 'GeneratorId', '', 512);
  problems.required(finding, 'Title', '', 256);
  problems.required(finding, 'Description', '', 1024);
  problems.string(finding, 'ProductName', '', 128);
  problems.string(finding, 'CompanyName', '', 128);
  problems.string(finding, 'SourceUrl', '');
  const awsAccountId = problems.required(finding, 'AwsAccountId', '');
  if (awsAccountId !== undefined && !/^\d{12}$/.test(awsAccountId))
    problems.add('AwsAccountId must be 12 digits');
  const productArn = problems.required(finding, 'ProductArn', '', 2048);
  if (productArn !== undefined) {
    const match = PRODUCT_ARN.exec(productArn);
    if (match === null)
      problems.add(`ProductArn "${productArn}" is not a Security Hub product ARN`);
    const defaultProduct = /^arn:[^:]+:securityhub:[^:]+:(\d{12}):product\/(\d{12})\/default$/.exec(
      productArn,
    );
    if (defaultProduct !== null && defaultProduct[1] !== defaultProduct[2]) {
      problems.add('a default product ARN must name the same account twice');
    }
    if (account !== undefined && defaultProduct !== null) {
      if (defaultProduct[1] !== account)
        problems.add(
          `ProductArn belongs to ${defaultProduct[1]}, not the calling account ${account}`,
        );
      if (awsAccountId !== account) {
        problems.add(
          `AwsAccountId ${String(awsAccountId)} must be the calling account ${account} for the default product`,
        );
      }
    }
  }
  const created = problems.timestamp(finding, 'CreatedAt', '', true);
  const updated = problems.timestamp(finding, 'UpdatedAt', '', true);
  if (created !== undefined && updated !== undefined && Date.parse(updated) < Date.parse(created)) {
    problems.add('UpdatedAt is earlier than CreatedAt');
  }
  const first = problems.timestamp(finding, 'FirstObservedAt', '', false);
  const last = problems.timestamp(finding, 'LastObservedAt', '', false);
  if (first !== undefined && last !== undefined && Date.parse(last) < Date.parse(first)) {
    problems.add('LastObservedAt is earlier than FirstObservedAt');
  }
  const provider = finding.FindingProviderFields;
  if (provider !== undefined && !isObject(provider))
    problems.add('FindingProviderFields must be an object');
  const providerFields = isObject(provider) ? provider : {};
  const hasSeverity = checkSeverity(problems, finding.Severity, '');
  const hasProviderSeverity = checkSeverity(
    problems,
    providerFields.Severity,
    'FindingProviderFields.',
  );
  if (!hasSeverity && !hasProviderSeverity) {
    problems.add(
      'Severity (Label or Normalized) is required, directly or in FindingProviderFields',
    );
  }
  checkTypes(problems, finding.Types, '');
  checkTypes(problems, providerFields.Types, 'FindingProviderFields.');
  if (finding.Types === undefined && providerFields.Types === undefined) {
    problems.add('Types is required, directly or in FindingProviderFields');
  }
  checkResources(problems, finding.Resources);
  problems.map(finding, 'ProductFields', '', 50, 128, 2048);
  problems.map(finding, 'UserDefinedFields', '', 50, 128, 1024);
  const workflow = finding.Workflow;
  if (workflow !== undefined) {
    const status = isObject(workflow) ? workflow.Status : undefined;
    if (typeof status !== 'string' || !WORKFLOW_STATUSES.has(status)) {
      problems.add(
        `Workflow.Status ${JSON.stringify(status)} is not NEW, NOTIFIED, RESOLVED or SUPPRESSED`,
      );
    }
  }
  const note = finding.Note;
  if (note !== undefined) {
    if (!isObject(note)) problems.add('Note must be an object');
    else {
      problems.required(note, 'Text', 'Note.', 512);
      problems.required(note, 'UpdatedBy', 'Note.', 512);
      problems.timestamp(note, 'UpdatedAt', 'Note.', true);
    }
  }
  const remediation = finding.Remediation;
  if (remediation !== undefined) {
    const recommendation = isObject(remediation) ? remediation.Recommendation : undefined;
    if (isObject(recommendation)) {
      problems.string(recommendation, 'Text', 'Remediation.Recommendation.', 512);
      problems.string(recommendation, 'Url', 'Remediation.Recommendation.');
    } else {
      problems.add('Remediation.Recommendation must be an object');
    }
  }
  const bytes = Buffer.byteLength(JSON.stringify(finding), 'utf8');
  if (bytes > 240 * 1024) problems.add(`the finding is ${bytes} bytes; the maximum is 240 KB`);
  return problems.list;
}
