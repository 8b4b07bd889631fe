/**
 * Inbound frame validation (protocol §2.3) with zod: every client frame is checked here before any room
 * sees it. `parseInbound` returns the event and its cleaned data, or a readable reason.
 */
import { z } from 'zod';

const FORBIDDEN = /[<>&"'\n\r]/;
/** How bots are named ("Bot 2" to "Bot 4", by seat). */
const BOT_NAME = /^Bot \d+$/;

const playerName = z
  .string({ error: 'Player name must be a string' })
  .trim()
  .min(1, 'Player name cannot be empty')
  .max(50, 'Player name too long')
  .refine((s) => !FORBIDDEN.test(s), 'Player name contains invalid characters')
  // `phase_change.players` is keyed by name in seat order; JavaScript puts array-index keys ("0", "123", but
  // not "007" or "-1") ahead of the others in ascending order, so such a name would break the seat order.
  .refine((s) => !isArrayIndexKey(s), 'Player name cannot be a plain number like 123 (add a letter, or start it with 0)')
  // Bots are "Bot 2" to "Bot 4" (named by seat); a human of that name would share a name with one.
  .refine((s) => !BOT_NAME.test(s), 'Player names like "Bot 2" are kept for bots');

/** Whether JavaScript treats `s` as an array index when it is an object key (canonical integer below 2^32 - 1). */
export function isArrayIndexKey(s: string): boolean {
  return /^(0|[1-9]\d{0,9})$/.test(s) && Number(s) < 2 ** 32 - 1;
}

const roomIdField = z
  .string({ error: 'Room ID must be a string' })
  .trim()
  .min(1, 'Room ID cannot be empty')
  .max(50, 'Room ID too long')
  .refine((s) => !FORBIDDEN.test(s), 'Room ID contains invalid characters');

const slotId = z.coerce
  .number({ error: 'Slot ID must be a number' })
  .int('Slot ID must be a number')
  .min(1, 'Slot ID must be between 1 and 4')
  .max(4, 'Slot ID must be between 1 and 4');

const indices = z
  .array(z.number().int('All piece indices must be integers').min(0, 'Piece index out of valid range').max(31, 'Piece index out of valid range'), {
    error: 'Piece indices must be an array',
  })
  .min(1, 'Must select at least one piece')
  .max(6, 'Cannot play more than 6 pieces at once')
  .refine((a) => new Set(a).size === a.length, 'Duplicate piece index');

const optionalName = playerName.optional();
const loose = z.looseObject({});

/** Per-event data schemas. Unknown keys are kept out of the cleaned data except where noted. */
export const eventSchemas = {
  client_ready: z.looseObject({ room_id: z.string().max(50).optional(), player_name: optionalName, is_reconnection: z.boolean().optional() }),
  ping: z.looseObject({ timestamp: z.number().optional() }),
  get_rooms: loose,
  request_room_list: loose,
  create_room: z.looseObject({ player_name: playerName }),
  join_room: z.looseObject({ room_id: roomIdField, player_name: playerName }),
  get_room_state: z.looseObject({ room_id: z.string().max(50).optional() }),
  add_bot: z.looseObject({ slot_id: slotId }),
  remove_player: z
    .looseObject({ player_id: z.string().max(60).optional(), slot_id: slotId.optional() })
    .refine((d) => d.player_id !== undefined || d.slot_id !== undefined, 'Player ID to remove is required'),
  leave_room: z.looseObject({ player_name: optionalName }),
  leave_game: z.looseObject({ player_name: optionalName }),
  start_game: loose,
  accept_redeal: z.looseObject({ player_name: optionalName }),
  decline_redeal: z.looseObject({ player_name: optionalName }),
  request_redeal: z.looseObject({ player_name: optionalName }),
  redeal_decision: z.looseObject({
    player_name: optionalName,
    choice: z.enum(['accept', 'decline'], { error: "Invalid redeal decision. Must be 'accept' or 'decline'" }),
  }),
  declare: z.looseObject({
    value: z
      .number({ error: 'Declaration value must be an integer' })
      .int('Declaration value must be an integer')
      .min(0, 'Declaration value must be between 0 and 8')
      .max(8, 'Declaration value must be between 0 and 8'),
    player_name: optionalName,
  }),
  play: z.looseObject({ piece_indices: indices, player_name: optionalName, play_value: z.number().optional() }),
  play_pieces: z.looseObject({ indices, player_name: optionalName }),
  start_next_round: loose,
  request_state_sync: loose,
  request_recovery: loose,
  player_ready: loose,
  ack: loose,
  sync_request: loose,
} as const;

/** Every event name the server accepts. */
export type InboundEvent = keyof typeof eventSchemas;

/** The result of validating one frame. */
export type InboundResult =
  | { ok: true; event: InboundEvent; data: Record<string, unknown> }
  | { ok: false; message: string; event: string | undefined };

const envelope = z.looseObject({
  event: z.string({ error: "Message must contain 'event' field" }).min(1, "Message must contain 'event' field").max(100, 'Event name too long'),
  data: z.record(z.string(), z.unknown(), { error: 'Event data must be a dictionary' }).optional(),
});

/** Validates a decoded frame (already known to be a JSON object). */
export function parseInbound(message: Record<string, unknown>): InboundResult {
  const env = envelope.safeParse(message);
  if (!env.success) {
    return { ok: false, message: `Invalid message: ${env.error.issues[0]?.message ?? 'bad envelope'}`, event: undefined };
  }
  const event = env.data.event;
  if (!Object.hasOwn(eventSchemas, event)) return { ok: false, message: `Invalid message: Unknown event type: ${event}`, event };
  const schema = eventSchemas[event as InboundEvent];
  const data = schema.safeParse(env.data.data ?? {});
  if (!data.success) return { ok: false, message: `Invalid message: ${data.error.issues[0]?.message ?? 'invalid data'}`, event };
  return { ok: true, event: event as InboundEvent, data: data.data };
}
