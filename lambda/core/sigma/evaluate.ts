/**
 * A Sigma rule's exact meaning on a CloudTrail record. Field paths cross arrays (any element
 * may match), strings compare case-insensitively (ASCII) with wildcards, numbers and
 * booleans as their JSON text, and null matches a missing or null field. Pure and total:
 * any JSON in any field gives true or false, never an exception.
 */
import { cidrContains, parseCidr } from './cidr';
import type { CompiledGlob } from './glob';
import { asciiLower, compileGlob, globMatches } from './glob';
import type { ConditionNode, FieldCondition, SigmaRule, ValueTest } from './model';
import { compileRegex } from './regex';

/** The values found at a path: arrays anywhere on it are looked through, element by element. */
export function valuesAt(root: unknown, path: readonly string[]): unknown[] {
  let current: unknown[] = [root];
  for (const segment of path) {
    const next: unknown[] = [];
    for (const value of flatten(current)) {
      if (typeof value === 'object' && value !== null && Object.hasOwn(value, segment)) {
        next.push((value as Record<string, unknown>)[segment]);
      }
    }
    current = next;
  }
  return flatten(current);
}

function flatten(values: readonly unknown[]): unknown[] {
  return values.some(Array.isArray)
    ? values.flatMap((value) => (Array.isArray(value) ? flatten(value as unknown[]) : [value]))
    : [...values];
}

/** A scalar's text as Sigma compares it; null, objects and arrays have none. */
export function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function texts(values: readonly unknown[]): string[] {
  return values.map(textOf).filter((text): text is string => text !== undefined);
}

type ValuePredicate = (values: readonly unknown[], record: unknown) => boolean;

function anchored(anchor: string, value: string, other: string): boolean {
  const a = asciiLower(value);
  const b = asciiLower(other);
  switch (anchor) {
    case 'contains':
      return a.includes(b);
    case 'startswith':
      return a.startsWith(b);
    case 'endswith':
      return a.endsWith(b);
    default:
      return a === b;
  }
}

function valuePredicate(test: ValueTest): ValuePredicate {
  switch (test.kind) {
    case 'glob': {
      const glob: CompiledGlob = compileGlob(test.parts);
      return (values) => texts(values).some((text) => globMatches(glob, text));
    }
    case 'null':
      return (values) => values.length === 0 || values.includes(null);
    case 'exists':
      return (values) => values.length > 0 === test.expected;
    case 're': {
      const regex = compileRegex(test);
      return (values) => texts(values).some((text) => regex.test(text));
    }
    case 'cidr': {
      const cidr = parseCidr(test.cidr);
      if (cidr === undefined) return () => false;
      return (values) => texts(values).some((text) => cidrContains(cidr, text));
    }
    case 'fieldref': {
      const path = test.field.split('.');
      return (values, record) => {
        const others = texts(valuesAt(record, path));
        return texts(values).some((text) =>
          others.some((other) => anchored(test.anchor, text, other)),
        );
      };
    }
  }
}

function fieldPredicate(condition: FieldCondition): (record: unknown) => boolean {
  const tests = condition.values.map(valuePredicate);
  return (record) => {
    const values = valuesAt(record, condition.path);
    return condition.all
      ? tests.every((test) => test(values, record))
      : tests.some((test) => test(values, record));
  };
}

type Predicate = (record: unknown) => boolean;

/** The rule as one predicate over a CloudTrail record (the event's `detail`). */
export function compileRule(rule: SigmaRule): Predicate {
  const selections = new Map<string, Predicate>();
  for (const [name, selection] of rule.selections) {
    const alternatives = selection.alternatives.map((fields) => fields.map(fieldPredicate));
    selections.set(name, (record) =>
      alternatives.some((fields) => fields.every((field) => field(record))),
    );
  }
  const build = (node: ConditionNode): Predicate => {
    switch (node.kind) {
      case 'ref': {
        const selection = selections.get(node.name);
        return selection ?? (() => false);
      }
      case 'and': {
        const items = node.items.map(build);
        return (record) => items.every((item) => item(record));
      }
      case 'or': {
        const items = node.items.map(build);
        return (record) => items.some((item) => item(record));
      }
      case 'not': {
        const item = build(node.item);
        return (record) => !item(record);
      }
    }
  };
  return build(rule.condition);
}
