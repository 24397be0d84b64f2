import type { TapegateError } from '../../core/errors.js';
import type { Admission, Gate, RequestFacts } from '../../core/gate.js';

/**
 * A gate that lets everything through with no identity and forwards the agent's own Authorization,
 * for data-plane tests that are not about admission (tapegate serve always uses core/gatekeeper).
 */
export class PassThroughGate implements Gate {
  bodyNeeded(): number {
    return 0;
  }

  admit(facts: RequestFacts, done: (err: TapegateError | null, admission: Admission | null) => void): void {
    let authorization: string | null = null;
    const h = facts.headers;
    for (let i = 0; i < h.length; i++) {
      if (h[i]![0] === 'authorization') {
        authorization = h[i]![1];
        break;
      }
    }
    done(null, { identity: null, operation: '', resource: '', decision: PASS, upstreamAuthorization: authorization });
  }
}

const PASS = Object.freeze({ action: 'allow', rule: 'pass-through' }) as Admission['decision'];
