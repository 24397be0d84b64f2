import type { Effect, OperationItem } from './types.js';
import { safeDecode } from './query.js';

/**
 * Generic Google REST paths: collection/id pairs (projects/p/zones/z/instances/i), an optional
 * custom verb after an id (instances/i/stop) or after a colon (tables/t:setIamPolicy). The verb is
 * the method's standard one (list, get, insert, patch, update, delete) unless a custom verb is given.
 */
const CUSTOM_VERB = /^(set|add|remove|delete|get|create|attach|detach|start|stop|reset|suspend|resume|resize|simulate|update|test|abandon|recreate|apply|cancel|send|perform|bulk|use|switch|enable|disable|import|export|validate|reserve|wait|undelete|move|insertAll|list)([A-Z][A-Za-z]*)?$/;

export function classifyRest(service: string, method: string, segs: readonly string[], from: number): OperationItem {
  let collection = '';
  let hasId = false;
  let verb = '';
  let aggregated = false;
  let resourceEnd = from;
  let i = from;
  while (i < segs.length) {
    const s = segs[i]!;
    if (s === '') {
      i++;
      continue;
    }
    if (s === 'global') {
      i++;
      resourceEnd = i;
      continue;
    }
    if (s === 'aggregated') {
      aggregated = true;
      i++;
      resourceEnd = i;
      continue;
    }
    if (hasId && CUSTOM_VERB.test(s) && i === segs.length - 1) {
      verb = s;
      break;
    }
    collection = s;
    hasId = false;
    i++;
    resourceEnd = i;
    if (i < segs.length && segs[i] !== '') {
      let id = segs[i]!;
      const colon = id.indexOf(':');
      if (colon !== -1) {
        verb = id.slice(colon + 1);
        id = id.slice(0, colon);
      }
      hasId = true;
      i++;
      resourceEnd = i;
      if (verb) break;
    }
  }
  if (!collection) return { operation: `${service}.unknown`, resource: `${method} /${segs.join('/')}`, effect: unknownEffect(method) };
  if (!verb) verb = standardVerb(method, hasId, aggregated);
  let resource = '';
  for (let k = from; k < resourceEnd; k++) {
    const s = segs[k]!;
    if (s === '') continue;
    const colon = k === resourceEnd - 1 ? s.indexOf(':') : -1;
    resource += (resource ? '/' : '') + safeDecode(colon === -1 ? s : s.slice(0, colon));
  }
  return { operation: `${service}.${collection}.${verb}`, resource, effect: verbEffect(verb) };
}

function standardVerb(method: string, hasId: boolean, aggregated: boolean): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return aggregated ? 'aggregatedList' : hasId ? 'get' : 'list';
    case 'POST':
      return hasId ? 'post' : 'insert';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return method.toLowerCase();
  }
}

export function verbEffect(verb: string): Effect {
  if (verb === 'get' || verb === 'list' || verb === 'aggregatedList' || verb === 'getIamPolicy' || verb === 'testIamPermissions') return 'read';
  if (verb.startsWith('get') || verb.startsWith('list') || verb === 'wait') return 'read';
  if (verb === 'setIamPolicy' || verb.endsWith('IamPolicy') || verb === 'lockRetentionPolicy') return 'admin';
  if (verb.startsWith('delete')) return 'remove';
  if (verb === 'patch' || verb === 'update') return 'overwrite';
  return 'write';
}

export function unknownEffect(method: string): Effect {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 'read' : 'admin';
}
