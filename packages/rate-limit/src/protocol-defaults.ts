import type { BlockRule, KeySpec, PolicyDefinition, RateLimitConfig } from './types.js';

/** One row of the protocol's per-event table (§5): `max` per `windowMs`, optional block after exceeding. */
interface Row {
  readonly events: readonly string[];
  readonly max: number;
  readonly blockMs?: number;
}

const MINUTE = 60_000;

// Liap Tui protocol §5 (the reference server's sliding 60 s windows), per client and per event.
const ROWS: readonly Row[] = [
  { events: ['ping'], max: 120 },
  { events: ['ack'], max: 200 },
  { events: ['sync_request'], max: 10 },
  { events: ['request_room_list'], max: 30 },
  { events: ['get_rooms'], max: 30 },
  { events: ['create_room'], max: 5, blockMs: 300_000 },
  { events: ['join_room'], max: 10 },
  { events: ['get_room_state'], max: 60 },
  { events: ['remove_player'], max: 10 },
  { events: ['add_bot'], max: 10 },
  { events: ['leave_room'], max: 5 },
  { events: ['start_game'], max: 3, blockMs: 600_000 },
  { events: ['declare'], max: 6 }, // 5 per minute x burst 1.2
  { events: ['play'], max: 20 },
  { events: ['play_pieces'], max: 20 },
  { events: ['request_redeal'], max: 3 },
  { events: ['accept_redeal'], max: 5 },
  { events: ['decline_redeal'], max: 5 },
];

/** Options of {@link createProtocolDefaultPolicies}. */
export interface ProtocolDefaultsOptions {
  /** What each per-event budget is keyed by (default `connection`, as the reference server's `host:port`). */
  readonly key?: KeySpec | undefined;
  /** Prefix of the policy names (default `ws.`). */
  readonly namePrefix?: string | undefined;
  /**
   * The block for rows without one of their own, so a flood stops reaching the store: default 60 s
   * after 10 refused requests within 10 s (normal play is never refused at all); `false` for none.
   */
  readonly floodBlock?: BlockRule | false | undefined;
}

const FLOOD_BLOCK: BlockRule = { afterViolations: 10, withinMs: 10_000, durationMs: 60_000 };

/**
 * The protocol's default per-event table (§5) as token-bucket policies: each event gets `max` tokens
 * of burst refilled at `max` per minute, `declare` 6 (5 × burst 1.2) refilled at 5 per minute, all
 * other events together 60 per minute; `create_room` blocks for 5 minutes and `start_game` for 10 after the
 * first excess, every other row for 60 s after 10 refusals within 10 s (a flood).
 */
export function createProtocolDefaultPolicies(options: ProtocolDefaultsOptions = {}): PolicyDefinition[] {
  const key = options.key ?? 'connection';
  const prefix = options.namePrefix ?? 'ws.';
  const flood = options.floodBlock === false ? undefined : (options.floodBlock ?? FLOOD_BLOCK);
  const policies: PolicyDefinition[] = [];
  const named: string[] = [];
  for (const row of ROWS) {
    for (const event of row.events) {
      named.push(event);
      const perMinute = event === 'declare' ? 5 : row.max;
      policies.push({
        name: `${prefix}${event}`,
        key,
        capacity: row.max,
        refill: { tokens: perMinute, intervalMs: MINUTE },
        messageTypes: [event],
        ...(row.blockMs
          ? { block: { afterViolations: 1, withinMs: MINUTE, durationMs: row.blockMs } }
          : flood
            ? { block: flood }
            : {}),
      });
    }
  }
  // Unlike the reference server (one budget per unknown event name), all other events share one
  // budget per key: random event names must not mint fresh buckets (bypass and memory growth).
  policies.push({
    name: `${prefix}other`,
    key,
    capacity: 60,
    refill: { tokens: 60, intervalMs: MINUTE },
    exceptMessageTypes: named,
    ...(flood ? { block: flood } : {}),
  });
  return policies;
}

/** The protocol's §5 table keyed by connection: the ready-made default limits for the Liap Tui server. */
export const protocolDefaultPolicies: readonly PolicyDefinition[] = Object.freeze(
  createProtocolDefaultPolicies(),
);

/** The same table as a whole config (`{ policies }`), as a limits file would hold it. */
export const protocolDefaultConfig: RateLimitConfig = Object.freeze({ policies: protocolDefaultPolicies });
