/**
 * The shape of every stored Liap Tui event, checked (with zod) before a fold applies it: a row edited by hand,
 * or written by another release, is refused with the field that is wrong instead of crashing the reducer or
 * folding into a state no rule can reach. {@link applicabilityProblem} adds the few checks against the state
 * that hold for every stream the rules can write (the seat an event names is taken; a play's pieces are in
 * that hand at those positions; game events come during a game).
 */
import { PIECE_TABLE, type LiapEvent, type LiapEventType, type LiapState, type PieceKind } from '@game/liap-tui';
import { z } from 'zod';

const seat = z.number().int().min(0).max(3);
const count = z.number().int().min(0);
const integer = z.number().int();
const name = z.string();
const at = z.number().finite();
const pieceKind = z.enum(PIECE_TABLE.map((p) => p.kind) as [PieceKind, ...PieceKind[]]);
const playType = z.enum(['SINGLE', 'PAIR', 'THREE_OF_A_KIND', 'STRAIGHT', 'FOUR_OF_A_KIND', 'EXTENDED_STRAIGHT', 'EXTENDED_STRAIGHT_5', 'FIVE_OF_A_KIND', 'DOUBLE_STRAIGHT', 'INVALID']);
const perSeat = <T extends z.ZodType>(item: T) => z.array(item).length(4);

const roundScore = z.object({
  declared: count,
  actual: count,
  baseScore: integer,
  bonus: integer,
  hitValue: integer,
  multiplier: count,
  finalScore: integer,
  totalScore: integer,
});

const ranking = z.object({ seat, name, score: integer, rank: count, turnsWon: count, perfectRounds: count });

const completedPlay = z.object({ seat, name, pieces: z.array(pieceKind), playType, playValue: integer });

const event = <T extends LiapEventType, S extends z.ZodRawShape>(type: T, shape: S) => z.object({ type: z.literal(type), at, ...shape });

/** Every event type of this release with its fields (unknown extra fields are allowed: a newer writer may add some). */
export const liapEventSchema = z.discriminatedUnion('type', [
  event('room_created', { name, avatarColor: z.string(), bots: z.array(name) }),
  event('player_joined', { seat, name, avatarColor: z.string(), replacedBot: name.nullable() }),
  event('player_left', { seat, name, inGame: z.boolean() }),
  event('room_closed', { reason: z.literal('host_left') }),
  event('host_changed', { from: seat, to: seat, oldHost: name, newHost: name }),
  event('bot_added', { seat, name, replaced: name.nullable() }),
  event('player_removed', { seat, name, wasBot: z.boolean(), removedBy: name }),
  event('game_started', { players: perSeat(name) }),
  event('hands_dealt', {
    round: count,
    multiplier: count,
    hands: perSeat(z.array(pieceKind).max(8)),
    weakSeats: z.array(seat),
    afterRedeal: z.boolean(),
  }),
  event('redeal_decided', { seat, name, accept: z.boolean(), auto: z.boolean() }),
  event('redeal_warning', { secondsRemaining: z.number().finite().min(0) }),
  event('redeal_accepted', { seat, name, multiplier: count }),
  event('round_started', { round: count, starter: seat, starterName: name, reason: z.string() }),
  event('declarations_opened', { order: z.array(seat).max(4) }),
  event('declared', { seat, name, value: count, auto: z.boolean() }),
  event('turn_started', { turnNumber: count, starter: seat, order: z.array(seat).max(4) }),
  event('pieces_played', {
    seat,
    name,
    indices: z.array(count).max(8),
    pieces: z.array(pieceKind).max(8),
    playType,
    playValue: integer,
    auto: z.boolean(),
  }),
  event('turn_completed', {
    turnNumber: count,
    winner: seat,
    winnerName: name,
    pilesWon: count,
    plays: z.array(completedPlay).max(4),
    nextStarter: seat,
    nextStarterName: name,
    allHandsEmpty: z.boolean(),
    capturedPiles: perSeat(count),
    declared: perSeat(count),
    names: perSeat(name),
  }),
  event('turn_results_shown', { lastTurnWinner: seat }),
  event('round_scored', { round: count, multiplier: count, scores: perSeat(roundScore), gameComplete: z.boolean(), winners: z.array(seat) }),
  event('game_ended', { winners: z.array(seat), winnerNames: z.array(name), rankings: z.array(ranking).max(4), totalRounds: count }),
  event('player_disconnected', { seat, name }),
  event('player_reconnected', { seat, name }),
]);

// Compile-time checks that the schema and the engine's types agree both ways: what the schema accepts is a
// LiapEvent, and it names every event type there is.
type Accepted = z.infer<typeof liapEventSchema>;
const acceptedIsEvent = (e: Accepted): LiapEvent => e;
const namesEveryType: [Exclude<LiapEventType, Accepted['type']>] extends [never] ? true : false = true;
void acceptedIsEvent;
void namesEveryType;

/** Why `data` is not a stored event of type `type` of this release (`undefined`: it is one). */
export function eventShapeProblem(type: string, data: unknown): string | undefined {
  if ((data as { type?: unknown } | null)?.type !== type) return `the event's data is not a "${type}" event`;
  const result = liapEventSchema.safeParse(data);
  if (result.success) return undefined;
  const issue = result.error.issues[0]!;
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'the data';
  return `its "${type}" data is malformed at ${where}: ${issue.message}`;
}

/** Events that name a seat someone (human or bot) must hold when they happen. */
const SEATED: ReadonlySet<LiapEventType> = new Set<LiapEventType>([
  'player_left',
  'player_removed',
  'redeal_decided',
  'redeal_accepted',
  'declared',
  'pieces_played',
  'player_disconnected',
  'player_reconnected',
]);

/** Events that only a running game produces. */
const IN_GAME: ReadonlySet<LiapEventType> = new Set<LiapEventType>(['hands_dealt', 'declared', 'pieces_played', 'turn_started', 'turn_completed', 'round_scored']);

/**
 * Why a well-formed event cannot follow `state` (`undefined`: it can, as far as these checks go). Only
 * invariants every decided event keeps are checked, so a stream the rules wrote never fails here.
 */
export function applicabilityProblem(state: LiapState, e: LiapEvent): string | undefined {
  if (IN_GAME.has(e.type) && state.status !== 'in_game') return `a "${e.type}" event while the room is ${state.status}, not in a game`;
  if (SEATED.has(e.type) && 'seat' in e && state.seats[e.seat] == null) return `it names seat ${e.seat}, which is empty`;
  if (e.type === 'host_changed' && (state.seats[e.from] == null || state.seats[e.to] == null)) return `it moves the host between seats ${e.from} and ${e.to}, one of them empty`;
  if (e.type === 'pieces_played') {
    const hand = state.players[e.seat]?.hand ?? [];
    if (e.indices.length !== e.pieces.length || new Set(e.indices).size !== e.indices.length) return 'its indices and pieces do not match one to one';
    const k = e.indices.findIndex((i, j) => hand[i] !== e.pieces[j]);
    if (k >= 0) return `seat ${e.seat} holds no ${e.pieces[k]} at position ${e.indices[k]}`;
  }
  return undefined;
}
