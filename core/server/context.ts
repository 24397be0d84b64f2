import type { Config } from '../config/index.js';
import type { ExchangeSink } from '../exchange.js';
import type { Gate } from '../gate.js';
import type { Metrics } from '../metrics.js';
import type { HeaderRedactor } from '../redact.js';
import type { Router } from '../route.js';
import type { SessionTracker } from '../session.js';
import type { Upstream } from '../upstream/pools.js';

/** What every exchange of one data plane shares; built once by core/server/app. */
export interface ServerContext {
  readonly config: Config;
  readonly sink: ExchangeSink;
  readonly gate: Gate;
  readonly metrics: Metrics;
  readonly router: Router<Upstream>;
  readonly sessions: SessionTracker;
  readonly redactor: HeaderRedactor;
  /** Scheme agents use to reach us (X-Forwarded-Proto, rewritten upload URLs). */
  readonly proto: string;
  /** host:port of the data listener, for rewritten URLs when the agent sent no usable Host. */
  listenAuthority: string;
  draining: boolean;
  inFlight: number;
  /** Called when an exchange finishes (drain waits on it). */
  onExchangeDone(): void;
  /** Exchanges still receiving a request body, checked for agent idleness by one shared timer. */
  readonly receiving: Set<{ checkAgentIdle(nowMs: number): void }>;
}
