/**
 * Contract checks the frontend relies on (shared/spec/protocol.md §1.4, §3), run on every server frame a
 * test client receives. Pure functions: a frame in, a list of violations out.
 */

/** A server frame as the frontend sees it: `{event, data}` (protocol §1.4). */
export interface ServerFrame {
  readonly event: string;
  readonly data: Record<string, unknown>;
}

/** One broken rule of the wire contract, with the frame it was found in. */
export interface Violation {
  /** Stable rule id, e.g. `envelope.keys`, `phase_change.opponent_hand`. */
  readonly rule: string;
  /** Human-readable facts (path, value). */
  readonly detail: string;
  /** The event name of the offending frame (`?` when it had none). */
  readonly event: string;
  /** Index of the frame in the socket's received list (set by the socket; -1 when checked standalone). */
  readonly index: number;
}

/** The lowercase phase names of protocol §3.4.1. */
export const PHASES = [
  'waiting',
  'preparation',
  'round_start',
  'declaration',
  'turn',
  'turn_results',
  'scoring',
  'game_over',
] as const;

/** A phase name on the wire. */
export type PhaseName = (typeof PHASES)[number];

/** What a check knows about the receiving socket. */
export interface CheckContext {
  /** The player the socket is bound to (its own hand may appear); null/undefined for lobby or unbound sockets. */
  readonly me?: string | null | undefined;
  /**
   * Whether the server has bound the socket to `me` (default true). A socket whose `client_ready` is not
   * processed yet, or was refused, is an unbound listener: a blank own hand is then correct, not a violation.
   */
  readonly bound?: boolean;
}

/** True for a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function short(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/**
 * Parses one raw WebSocket text frame and checks its envelope: JSON, an object with exactly the keys
 * `event` (string) and `data` (object). Returns the frame (best effort, for logging) and any violations.
 */
export function parseServerFrame(raw: string): { frame: ServerFrame; violations: Violation[] } {
  const violations: Violation[] = [];
  const v = (rule: string, detail: string, event = '?'): void => {
    violations.push({ rule, detail, event, index: -1 });
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    v('envelope.json', `not JSON: ${short(raw)}`);
    return { frame: { event: '?', data: { raw } }, violations };
  }
  if (!isObject(parsed)) {
    v('envelope.object', `frame is not an object: ${short(parsed)}`);
    return { frame: { event: '?', data: { raw: parsed } }, violations };
  }
  const event = typeof parsed['event'] === 'string' ? parsed['event'] : '?';
  if (typeof parsed['event'] !== 'string')
    v('envelope.event', `event is not a string: ${short(parsed['event'])}`);
  const keys = Object.keys(parsed).sort();
  if (keys.length !== 2 || keys[0] !== 'data' || keys[1] !== 'event') {
    v('envelope.keys', `server frames have exactly {event, data}; got keys [${keys.join(', ')}]`, event);
  }
  const data = parsed['data'];
  if (!isObject(data)) v('envelope.data', `data is not an object: ${short(data)}`, event);
  return { frame: { event, data: isObject(data) ? data : {} }, violations };
}

/** The REQ `phase_data` keys of protocol §3.4 per phase, with a check of each value. */
const PHASE_DATA_REQ: Record<PhaseName, readonly (readonly [string, (v: unknown) => boolean, string])[]> = {
  waiting: [],
  preparation: [['redeal_multiplier', (v) => typeof v === 'number', 'a number']],
  round_start: [
    ['current_starter', (v) => typeof v === 'string', 'a player name'],
    ['starter_reason', (v) => typeof v === 'string', 'a string'],
  ],
  declaration: [
    ['declaration_order', isStringArray, 'an array of names'],
    ['current_declarer', (v) => v === null || typeof v === 'string', 'a name or null'],
    ['declarations', (v) => isObject(v) && Object.values(v).every(isInt), 'an object name -> int'],
  ],
  turn: [
    ['current_player', (v) => typeof v === 'string', 'a player name'],
    ['current_turn_starter', (v) => typeof v === 'string', 'a player name'],
    ['required_piece_count', (v) => v === null || isInt(v), 'an int or null'],
    ['turn_plays', isObject, 'an object name -> play'],
  ],
  turn_results: [],
  scoring: [
    ['round_scores', isObject, 'an object'],
    [
      'total_scores',
      (v) => isObject(v) && Object.values(v).every((n) => typeof n === 'number'),
      'an object name -> number',
    ],
    ['scoring_players_data', Array.isArray, 'an array'],
    ['game_complete', (v) => typeof v === 'boolean', 'a boolean'],
  ],
  game_over: [
    ['final_rankings', Array.isArray, 'an array'],
    [
      'game_stats',
      (v) => isObject(v) && typeof v['game_duration'] === 'string' && /(\d+)\s*min/.test(v['game_duration']),
      'an object with game_duration "<N> min"',
    ],
    ['winners', isStringArray, 'an array of names'],
  ],
};

/** Whether `value` is a valid wire piece `{value: int, kind: "NAME_COLOR"}` (protocol §3.4.1). */
export function isWirePiece(value: unknown): value is { value: number; kind: string } {
  return (
    isObject(value) &&
    isInt(value['value']) &&
    typeof value['kind'] === 'string' &&
    /^[A-Z]+_(RED|BLACK)$/.test(value['kind'])
  );
}

function checkPhaseChange(
  data: Record<string, unknown>,
  ctx: CheckContext,
  out: (rule: string, detail: string) => void,
): void {
  const phase = data['phase'];
  if (typeof phase !== 'string') {
    out('phase_change.phase', `phase is not a string: ${short(phase)}`);
    return;
  }
  if (phase !== phase.toLowerCase())
    out('phase_change.phase_lowercase', `phase must be lowercase, got "${phase}"`);
  const known = (PHASES as readonly string[]).includes(phase);
  if (!known && phase === phase.toLowerCase()) out('phase_change.phase_unknown', `unknown phase "${phase}"`);
  if ('round' in data && !isInt(data['round']))
    out('phase_change.round', `round is not an int: ${short(data['round'])}`);

  const players = data['players'];
  let entries: [string, unknown][] = [];
  if (isObject(players)) entries = Object.entries(players);
  else if (Array.isArray(players))
    entries = players.map((p, i) => [isObject(p) && typeof p['name'] === 'string' ? p['name'] : `#${i}`, p]);
  else out('phase_change.players', `players is not an object map: ${short(players)}`);
  for (const [name, p] of entries) {
    if (!isObject(p)) {
      out('phase_change.player', `players["${name}"] is not an object`);
      continue;
    }
    const hand = p['hand'];
    const size = p['hand_size'];
    if (!isInt(size) || size < 0)
      out('phase_change.hand_size', `players["${name}"].hand_size is not a non-negative int: ${short(size)}`);
    if (typeof p['is_bot'] !== 'boolean')
      out('phase_change.is_bot', `players["${name}"].is_bot is not a boolean`);
    if (!isInt(p['zero_declares_in_a_row']))
      out('phase_change.zero_declares', `players["${name}"].zero_declares_in_a_row is not an int`);
    if (!Array.isArray(hand)) {
      out('phase_change.hand', `players["${name}"].hand is not an array: ${short(hand)}`);
      continue;
    }
    if (ctx.me !== undefined && ctx.me !== null && name === ctx.me) {
      hand.forEach((piece, i) => {
        if (!isWirePiece(piece))
          out(
            'phase_change.own_hand_item',
            `players["${name}"].hand[${i}] is not {value, kind}: ${short(piece)}`,
          );
      });
      if (isInt(size) && size !== hand.length && (ctx.bound !== false || hand.length > 0))
        out('phase_change.own_hand_size', `own hand_size ${size} != hand.length ${hand.length}`);
    } else if (hand.length > 0) {
      out(
        'phase_change.opponent_hand',
        `players["${name}"].hand must be [] for this recipient (${ctx.me ?? 'unbound'}), got ${hand.length} pieces`,
      );
    }
  }

  const pd = data['phase_data'];
  if (!isObject(pd)) {
    out('phase_change.phase_data', `phase_data is not an object: ${short(pd)}`);
    return;
  }
  if (!known) return;
  for (const [key, ok, what] of PHASE_DATA_REQ[phase as PhaseName]) {
    if (!(key in pd)) out(`phase_data.${phase}.${key}`, `${phase} phase_data lacks REQ key "${key}"`);
    else if (!ok(pd[key]))
      out(
        `phase_data.${phase}.${key}`,
        `${phase} phase_data.${key} should be ${what}, got ${short(pd[key])}`,
      );
  }
  if (phase === 'preparation') {
    const awaiting = pd['weak_players_awaiting'];
    if (awaiting !== undefined && !isStringArray(awaiting))
      out('phase_data.preparation.weak_players_awaiting', `not a name array: ${short(awaiting)}`);
    if (isStringArray(awaiting) && awaiting.length > 0 && pd['simultaneous_mode'] !== true) {
      out(
        'phase_data.preparation.simultaneous_mode',
        'weak_players_awaiting is non-empty but simultaneous_mode is not true (no redeal buttons)',
      );
    }
  }
  if (phase === 'turn' && isObject(pd['turn_plays'])) {
    for (const [name, play] of Object.entries(pd['turn_plays'])) {
      if (
        !isObject(play) ||
        !isStringArray(play['pieces']) ||
        (typeof play['play_type'] !== 'string' && typeof play['type'] !== 'string')
      ) {
        out(
          'phase_data.turn.turn_play',
          `turn_plays["${name}"] needs pieces: string[] and play_type: ${short(play)}`,
        );
      }
    }
  }
}

function checkTurnComplete(data: Record<string, unknown>, out: (rule: string, detail: string) => void): void {
  if (!('winner' in data)) out('turn_complete.winner', 'turn_complete lacks REQ key "winner"');
  else if (data['winner'] !== null && typeof data['winner'] !== 'string')
    out('turn_complete.winner', `winner is not a name or null: ${short(data['winner'])}`);
  if (!('winning_play' in data)) {
    out('turn_complete.winning_play', 'turn_complete lacks REQ key "winning_play"');
    return;
  }
  const wp = data['winning_play'];
  if (wp !== null && (!isObject(wp) || typeof wp['type'] !== 'string' || !Array.isArray(wp['pieces']))) {
    out(
      'turn_complete.winning_play',
      `winning_play needs {pieces, value, type, pilesWon} or null: ${short(wp)}`,
    );
  }
}

/**
 * Finds pieces of another player anywhere in a frame: a non-empty `hand` (or `my_hand`/`hands`) that does not
 * belong to `me`. A hand belongs to the player named by its map key or by a sibling `name`/`player_name` field.
 */
export function findForeignHands(
  data: unknown,
  me: string | null | undefined,
  path = 'data',
  owner: string | null = null,
): string[] {
  const found: string[] = [];
  if (Array.isArray(data)) {
    data.forEach((item, i) => found.push(...findForeignHands(item, me, `${path}[${i}]`, owner)));
    return found;
  }
  if (!isObject(data)) return found;
  const named =
    typeof data['name'] === 'string'
      ? data['name']
      : typeof data['player_name'] === 'string'
        ? data['player_name']
        : owner;
  for (const [key, value] of Object.entries(data)) {
    const here = `${path}.${key}`;
    if ((key === 'hand' || key === 'my_hand') && Array.isArray(value)) {
      const holder = key === 'my_hand' ? (me ?? null) : named;
      if (value.length > 0 && (me === null || me === undefined || holder !== me))
        found.push(`${here} (${value.length} pieces of ${holder ?? 'unknown'})`);
      continue;
    }
    if (key === 'hands' && Array.isArray(value) && value.some((h) => Array.isArray(h) && h.length > 0)) {
      found.push(`${here} (every hand)`);
      continue;
    }
    // A map keyed by player name (e.g. players, phase_data.players): the key names the owner.
    found.push(...findForeignHands(value, me, here, isObject(value) ? key : named));
  }
  return found;
}

/** Checks one parsed server frame against the frontend's contract; returns the violations (index -1). */
export function checkServerFrame(frame: ServerFrame, ctx: CheckContext = {}): Violation[] {
  const violations: Violation[] = [];
  const out = (rule: string, detail: string): void => {
    violations.push({ rule, detail, event: frame.event, index: -1 });
  };
  const { data } = frame;
  switch (frame.event) {
    case 'phase_change':
      checkPhaseChange(data, ctx, out);
      break;
    case 'turn_complete':
      checkTurnComplete(data, out);
      break;
    case 'error':
      if (typeof data['message'] !== 'string' || data['message'].length === 0)
        out('error.message', `error frames carry a readable message: ${short(data)}`);
      break;
    case 'room_created':
    case 'room_joined':
      if (typeof data['room_id'] !== 'string' || !/^[A-Z0-9]{6}$/.test(data['room_id']))
        out(`${frame.event}.room_id`, `room_id must match ^[A-Z0-9]{6}$: ${short(data['room_id'])}`);
      break;
    case 'room_update': {
      const players = data['players'];
      if (!Array.isArray(players) || players.length !== 4)
        out('room_update.players', `players must be 4 seats (null = empty): ${short(players)}`);
      else
        players.forEach((p, i) => {
          if (p === null) return;
          if (
            !isObject(p) ||
            typeof p['name'] !== 'string' ||
            typeof p['is_bot'] !== 'boolean' ||
            typeof p['is_host'] !== 'boolean' ||
            typeof p['player_id'] !== 'string'
          ) {
            out('room_update.player', `players[${i}] needs name, is_bot, is_host, player_id: ${short(p)}`);
          }
        });
      break;
    }
    case 'room_list_update': {
      const rooms = data['rooms'];
      if (!Array.isArray(rooms)) out('room_list_update.rooms', `rooms is not an array: ${short(rooms)}`);
      else
        rooms.forEach((r, i) => {
          const seatOk = (p: unknown): boolean =>
            p === null || (isObject(p) && typeof p['name'] === 'string' && typeof p['is_bot'] === 'boolean');
          const ok =
            isObject(r) &&
            (typeof r['room_id'] === 'string' || typeof r['id'] === 'string') &&
            typeof r['game_in_progress'] === 'boolean' &&
            Array.isArray(r['players']) &&
            r['players'].length === 4 &&
            r['players'].every(seatOk);
          if (!ok) {
            out(
              'room_list_update.room',
              `rooms[${i}] needs room_id, game_in_progress, players x4 ({name, is_bot} | null): ${short(r)}`,
            );
          }
        });
      break;
    }
    default:
      break;
  }
  for (const where of findForeignHands(data, ctx.me))
    out('privacy.foreign_hand', `frame carries another player's pieces at ${where}`);
  return violations;
}

/**
 * Order rules across the frames of one socket (the frontend's pages depend on them):
 * `game_started` comes before the first `phase_change` (decision 11), and a turn whose four plays are in
 * gets its `turn_complete` before the next turn or phase starts (the results screen, §3.5).
 */
export class FrameOrderChecker {
  #sawPhaseChange = false;
  #awaitingTurnComplete: { round: unknown; turn: unknown } | null = null;
  #players = 4;
  /** Turns (`round:turn`) whose turn_complete was seen: a later snapshot of them needs no second one. */
  readonly #completed = new Set<string>();
  /** Turns this socket has seen a frame of. */
  readonly #seen = new Set<string>();

  /** Checks the next frame of the socket; returns violations (index -1). */
  check(frame: ServerFrame): Violation[] {
    const out: Violation[] = [];
    const v = (rule: string, detail: string): void => {
      out.push({ rule, detail, event: frame.event, index: -1 });
    };
    if (frame.event === 'game_started' && this.#sawPhaseChange) {
      v(
        'order.game_started_after_phase_change',
        'game_started must precede the first phase_change (decision 11)',
      );
    }
    if (frame.event === 'turn_complete') {
      const done = this.#awaitingTurnComplete;
      if (done !== null) this.#completed.add(`${String(done.round)}:${String(done.turn)}`);
      this.#awaitingTurnComplete = null;
    }
    if (frame.event !== 'phase_change') return out;
    this.#sawPhaseChange = true;
    const { data } = frame;
    if (isObject(data['players'])) this.#players = Math.max(1, Object.keys(data['players']).length);
    const pd = isObject(data['phase_data']) ? data['phase_data'] : {};
    const here = { round: data['round'], turn: pd['current_turn_number'] };
    const pending = this.#awaitingTurnComplete;
    if (
      pending !== null &&
      (data['phase'] !== 'turn' || here.round !== pending.round || here.turn !== pending.turn)
    ) {
      v(
        'order.turn_complete_missing',
        `turn ${String(pending.turn)} of round ${String(pending.round)} had all plays but no turn_complete before this ${String(data['phase'])} frame`,
      );
      this.#awaitingTurnComplete = null;
    }
    if (data['phase'] === 'turn' && this.#awaitingTurnComplete === null) {
      const plays = isObject(pd['turn_plays']) ? Object.keys(pd['turn_plays']).length : 0;
      const key = `${String(here.round)}:${String(here.turn)}`;
      // A snapshot of an already resolved turn (winner set) on a socket that never saw that turn before
      // (a reconnect) cannot expect the turn_complete broadcast before it joined: count it as completed.
      if (!this.#seen.has(key) && pd['winner'] !== undefined && pd['winner'] !== null)
        this.#completed.add(key);
      if (plays >= this.#players && !this.#completed.has(key)) this.#awaitingTurnComplete = here;
      this.#seen.add(key);
    }
    return out;
  }
}
