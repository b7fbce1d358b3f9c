/**
 * EventBridge's routing over a synthesized template, for tests of the deployed whole: which
 * rules on a bus an event meets (the project's pattern matcher), and what each rule's target
 * receives (its `Input`, `InputPath` or input transformer applied as the EventBridge user
 * guide describes). Only the transformer features sgwatch's templates use are implemented;
 * anything else throws, so a test cannot pass over a part this file ignores.
 */
import { matchesPattern } from './event-pattern';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One target invocation: the rule that matched and what its target was sent. */
export interface Routed {
  readonly ruleId: string;
  readonly rule: Json;
  readonly targetArn: unknown;
  readonly input: unknown;
}

/** Which bus a rule listens on: `default`, or the logical id of a bus in the template. */
export type Bus = 'default' | { readonly ref: string };

function onBus(rule: Json, bus: Bus): boolean {
  const name = rule.Properties.EventBusName;
  if (bus === 'default') return name === undefined || name === 'default';
  return JSON.stringify(name) === JSON.stringify({ Ref: bus.ref });
}

function valueAt(event: unknown, path: string): unknown {
  if (path === '$') return event;
  if (!path.startsWith('$.')) throw new Error(`unsupported input path ${path}`);
  let value: unknown = event;
  for (const key of path.slice(2).split('.')) {
    value = typeof value === 'object' && value !== null ? (value as Json)[key] : undefined;
  }
  return value;
}

/** The target's input for `event`, as EventBridge builds it. */
export function targetInput(target: Json, event: unknown): unknown {
  if (target.Input !== undefined) return JSON.parse(target.Input as string);
  if (target.InputPath !== undefined) return valueAt(event, target.InputPath as string);
  const transformer = target.InputTransformer as Json | undefined;
  if (transformer === undefined) return event;
  const paths = (transformer.InputPathsMap ?? {}) as Record<string, string>;
  const text = (transformer.InputTemplate as string).replace(
    /<([^<>]+)>/g,
    (_all, name: string) => {
      if (name === 'aws.events.event.json') return JSON.stringify(event);
      const path = paths[name];
      if (path === undefined) throw new Error(`input template variable <${name}> is not defined`);
      return JSON.stringify(valueAt(event, path) ?? null);
    },
  );
  return JSON.parse(text);
}

/** Every target invocation `event` causes on `bus` of `template`, one per matching rule. */
export function route(template: Json, bus: Bus, event: unknown): Routed[] {
  const routed: Routed[] = [];
  for (const [ruleId, rule] of Object.entries<Json>(template.Resources)) {
    if (rule.Type !== 'AWS::Events::Rule' || !onBus(rule, bus)) continue;
    if (!matchesPattern(rule.Properties.EventPattern, event)) continue;
    for (const target of rule.Properties.Targets as Json[]) {
      routed.push({ ruleId, rule, targetArn: target.Arn, input: targetInput(target, event) });
    }
  }
  return routed;
}
