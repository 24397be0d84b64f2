import type { Classification, Effect, OperationItem } from '../classify/index.js';
import type { PolicyConfig, PolicyRuleConfig } from '../config/policy.js';
import type { Identity, PolicyDecision } from '../exchange.js';
import { compileGlobs, type GlobSet } from './glob.js';

/**
 * Declarative rules: who (subjects, groups, issuers) × connection × operation (globs), optionally
 * narrowed by effect and resource → allow | deny | review. First match wins; no match denies.
 *
 * A request can do several things (the parts of a /batch call, the statements of a SQL script, the
 * source and destination of a copy). Each item is decided on its own and the strictest result wins
 * (deny > review > allow), so an allow rule for SELECT never lets a DROP slip through beside it.
 */

export interface PolicyInput {
  identity: Identity | null;
  connection: string;
  classification: Pick<Classification, 'items'>;
}

export interface PolicyResult extends PolicyDecision {
  /** Index of the rule that decided, -1 for the default. */
  ruleIndex: number;
  /** The item (operation) the deciding rule matched. */
  item: OperationItem;
}

interface CompiledRule {
  index: number;
  name: string;
  subjects: GlobSet | null;
  groups: ReadonlySet<string> | null;
  issuers: GlobSet | null;
  connections: ReadonlySet<string> | null;
  operations: GlobSet;
  effects: ReadonlySet<Effect> | null;
  resources: GlobSet | null;
  action: 'allow' | 'deny' | 'review';
  reason: string | undefined;
}

const STRICTNESS = { allow: 0, review: 1, deny: 2 } as const;
export const DEFAULT_RULE = 'default';

export class Policy {
  private readonly rules: CompiledRule[];

  constructor(config: PolicyConfig) {
    this.rules = config.rules.map(compileRule);
  }

  get ruleCount(): number {
    return this.rules.length;
  }

  /** The decision for a classified request. Synchronous; allocation is one result object. */
  decide(input: PolicyInput): PolicyResult {
    const items = input.classification.items;
    let best: PolicyResult | null = null;
    for (let i = 0; i < items.length; i++) {
      const r = this.decideItem(input.identity, input.connection, items[i]!);
      if (!best || STRICTNESS[r.action] > STRICTNESS[best.action]) best = r;
      if (best.action === 'deny') break;
    }
    return best ?? this.decideItem(input.identity, input.connection, { operation: 'unknown', resource: '', effect: 'admin' });
  }

  private decideItem(identity: Identity | null, connection: string, item: OperationItem): PolicyResult {
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i]!;
      if (matches(rule, identity, connection, item)) {
        const result: PolicyResult = { action: rule.action, rule: rule.name, ruleIndex: rule.index, item };
        if (rule.action === 'deny') result.reason = rule.reason ?? `policy rule "${rule.name}" denies ${item.operation} on ${item.resource}`;
        else if (rule.reason) result.reason = rule.reason;
        return result;
      }
    }
    return {
      action: 'deny',
      rule: DEFAULT_RULE,
      ruleIndex: -1,
      item,
      reason: `no policy rule allows ${item.operation} on ${item.resource} for ${identity ? identity.subject : 'an anonymous caller'} (default deny)`,
    };
  }
}

function compileRule(rule: PolicyRuleConfig, index: number): CompiledRule {
  return {
    index,
    name: rule.name ?? String(index),
    subjects: compileGlobs(rule.subjects),
    groups: rule.groups ? new Set(rule.groups) : null,
    issuers: compileGlobs(rule.issuers),
    connections: rule.connections ? new Set(rule.connections) : null,
    operations: compileGlobs(rule.operations) ?? { test: () => true },
    effects: rule.effects ? new Set(rule.effects) : null,
    resources: compileGlobs(rule.resources),
    action: rule.action,
    reason: rule.reason,
  };
}

function matches(rule: CompiledRule, identity: Identity | null, connection: string, item: OperationItem): boolean {
  if (rule.connections && !rule.connections.has(connection)) return false;
  if (rule.effects && !rule.effects.has(item.effect)) return false;
  if (!rule.operations.test(item.operation)) return false;
  if (rule.resources && !rule.resources.test(item.resource)) return false;
  if (rule.subjects || rule.groups || rule.issuers) {
    if (!identity) return false;
    if (rule.subjects && !rule.subjects.test(identity.subject)) return false;
    if (rule.issuers && !rule.issuers.test(identity.issuer)) return false;
    if (rule.groups && !inAnyGroup(rule.groups, identity.groups)) return false;
  }
  return true;
}

function inAnyGroup(wanted: ReadonlySet<string>, groups: readonly string[]): boolean {
  for (let i = 0; i < groups.length; i++) if (wanted.has(groups[i]!)) return true;
  return false;
}

export function compilePolicy(config: PolicyConfig): Policy {
  return new Policy(config);
}

export { compileGlobs } from './glob.js';
