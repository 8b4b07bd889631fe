/**
 * A scripted human: plays a whole game through a FrontendSocket the way a person using the frontend
 * would, reacting only to `phase_change` frames (protocol §3.4; game-rules decision 4, §5, §6).
 * The choice functions are pure and exported for unit tests.
 */
import {
  describeFrames,
  WaitError,
  type Browser,
  type ConnectOptions,
  type FrontendSocket,
  type ServerFrame,
} from './frontend-client.js';
import { isObject, isWirePiece } from './contract.js';

/** A piece as the server sends it in the player's own hand. */
export interface HandPiece {
  readonly value: number;
  readonly kind: string;
}

/** What the redeal policy is told. */
export interface RedealContext {
  readonly round: number;
  readonly multiplier: number;
  /** How many redeals this player has accepted so far in this game. */
  readonly acceptedSoFar: number;
  readonly hand: readonly HandPiece[];
}

/** Accept or decline a redeal: fixed, "accept the first N times", or a function. */
export type RedealPolicy =
  'accept' | 'decline' | { readonly acceptFirst: number } | ((ctx: RedealContext) => boolean);

/** What the declaration chooser is told; `valid` lists the values allowed by decision 4. */
export interface DeclareContext {
  readonly round: number;
  readonly hand: readonly HandPiece[];
  readonly earlierTotal: number;
  readonly isLast: boolean;
  readonly zeroStreak: number;
  readonly valid: readonly number[];
}

/** What the play chooser is told. `required` is null for the turn's starter. */
export interface PlayContext {
  readonly round: number;
  readonly turnNumber: number;
  readonly hand: readonly HandPiece[];
  readonly required: number | null;
  /** Piles still wanted this round: own `declared - captured_piles` (may be <= 0). */
  readonly need: number;
  /** The play currently winning this turn (null for the starter). */
  readonly leader: { readonly name: string; readonly type: string; readonly value: number } | null;
}

/** One action the player decided to take at one decision point. */
export interface Decision {
  /** The decision point: phase + round + redeal multiplier / turn number + player. The player acts once per key. */
  readonly key: string;
  readonly event: 'accept_redeal' | 'decline_redeal' | 'declare' | 'play';
  readonly data: Record<string, unknown>;
  /** For plays: the chosen pieces as the server labels them in `turn_plays` (`KIND_COLOR(value)`). */
  readonly pieces?: readonly string[];
}

/** Options of a ScriptedPlayer. */
export interface ScriptedPlayerOptions {
  /** The player's seat name (default: the socket's `client_ready.player_name`). */
  readonly name?: string;
  /** Redeal policy (default `'decline'`). */
  readonly redeal?: RedealPolicy;
  /** Declaration chooser; its result is snapped to the nearest valid value (default `defaultDeclaration`). */
  readonly declare?: (ctx: DeclareContext) => number;
  /** Play chooser returning indices into the hand as received (default `defaultPlay`). */
  readonly play?: (ctx: PlayContext) => readonly number[];
  /** Think time before acting, in ms (default 0: act at once). A function gives random moments (crash tests). */
  readonly delayMs?: number | ((decision: Decision) => number);
  /** Called after each action is sent (e.g. to kill the server right after an action). */
  readonly onAction?: (decision: Decision, player: ScriptedPlayer) => void | Promise<void>;
  /**
   * Retry like a person clicking again when an `error` frame arrives while the decision point is still open
   * (e.g. a rate limit): after `data.retry_after_ms` when given, else `delayMs`. `false` disables it.
   * Default `{ maxRetries: 5, delayMs: 100 }` per decision point.
   */
  readonly retryOnError?: false | { readonly maxRetries?: number; readonly delayMs?: number };
  /**
   * Reconnect on its own when the socket closes with a code other than 1000 (as the frontend does once,
   * ~1 s after a drop). `attempts` > 1 keeps trying (e.g. while a killed server restarts). Needs `baseUrl`.
   * Default: off.
   */
  readonly autoReconnect?: { readonly delayMs?: number; readonly attempts?: number };
  /** Base URL of the server, used by `reconnect()`, `refresh()` and `autoReconnect`. */
  readonly baseUrl?: string;
  /** Socket options for those reconnections (`playerName` is always the player's name). */
  readonly connectOptions?: ConnectOptions;
}

/** One action taken by a ScriptedPlayer. */
export interface TakenAction extends Decision {
  /** `Date.now()` when sent. */
  readonly at: number;
  /** False when the socket was not open (the frame is lost, like the frontend's). */
  readonly sent: boolean;
  /** 0 for the first attempt at this decision point, n for the n-th retry after an error frame. */
  readonly retry: number;
}

/** The redeal policy's answer for one decision. */
export function redealAnswer(policy: RedealPolicy, ctx: RedealContext): boolean {
  if (policy === 'accept') return true;
  if (policy === 'decline') return false;
  if (typeof policy === 'function') return policy(ctx);
  return ctx.acceptedSoFar < policy.acceptFirst;
}

/**
 * Values a player may declare (decision 4, game-rules §5): 0..8, minus the value that would make the
 * total 8 for the last declarer, minus 0 after two zero declarations in a row.
 */
export function validDeclarations(earlierTotal: number, isLast: boolean, zeroStreak: number): number[] {
  const out: number[] = [];
  for (let v = 0; v <= 8; v++) {
    if (isLast && earlierTotal + v === 8) continue;
    if (v === 0 && zeroStreak >= 2) continue;
    out.push(v);
  }
  return out;
}

/** The valid value nearest to `wanted` (ties go to the lower value). */
export function snapDeclaration(wanted: number, valid: readonly number[]): number {
  let best: number | undefined;
  for (const v of valid) if (best === undefined || Math.abs(v - wanted) < Math.abs(best - wanted)) best = v;
  if (best === undefined) throw new Error('no valid declaration');
  return best;
}

/**
 * A human estimate: pieces worth 10 or more, plus 2, capped at 8 (then snapped to a valid value). Tuned
 * by simulation against the legacy bots (which spend their big pieces early): with one such human and
 * three legacy bots 20 of 20 seeded games reached 50 (median ~40 rounds), where "one pile per opener"
 * left most games running past 400 rounds.
 */
export function defaultDeclaration(ctx: DeclareContext): number {
  return Math.min(8, ctx.hand.filter((p) => p.value >= 10).length + 2);
}

interface Indexed {
  readonly p: HandPiece;
  readonly i: number;
}

/** Pairs of identical pieces, as index pairs, highest first. */
function pairsOf(order: readonly Indexed[]): [Indexed, Indexed][] {
  const pairs: [Indexed, Indexed][] = [];
  const used = new Set<number>();
  for (let a = 0; a < order.length; a++) {
    const x = order[a];
    if (x === undefined || used.has(a)) continue;
    for (let b = a + 1; b < order.length; b++) {
      const y = order[b];
      if (y !== undefined && !used.has(b) && y.p.kind === x.p.kind) {
        pairs.push([x, y]);
        used.add(a).add(b);
        break;
      }
    }
  }
  return pairs;
}

/**
 * A human who plays to their declaration, using only what the frontend shows. Starter: while piles are
 * still needed, the highest pair (if two or more are needed) or the highest single, else the lowest single
 * (singles and pairs are always valid, §6.1). Follower: exactly `required` pieces -- the cheapest single or
 * pair that beats the current leader while piles are needed, otherwise the lowest pieces.
 */
export function defaultPlay(ctx: PlayContext): number[] {
  // Highest first; ties keep hand order.
  const order: Indexed[] = ctx.hand
    .map((p, i) => ({ p, i }))
    .sort((a, b) => b.p.value - a.p.value || a.i - b.i);
  const top = order[0];
  if (top === undefined) return [];
  const lowest = (n: number): number[] => order.slice(-n).map((x) => x.i);
  const pairs = pairsOf(order);
  if (ctx.required === null) {
    if (ctx.need <= 0) return lowest(1);
    const pair = pairs[0];
    if (ctx.need >= 2 && pair !== undefined) return [pair[0].i, pair[1].i];
    return [top.i];
  }
  const n = ctx.required;
  const leader = ctx.leader;
  if (ctx.need >= n && leader !== null) {
    if (n === 1 && leader.type === 'SINGLE') {
      const beat = [...order].reverse().find((x) => x.p.value > leader.value);
      if (beat !== undefined) return [beat.i];
    }
    if (n === 2 && leader.type === 'PAIR') {
      const beat = [...pairs].reverse().find(([x, y]) => x.p.value + y.p.value > leader.value);
      if (beat !== undefined) return [beat[0].i, beat[1].i];
    }
  }
  return lowest(n);
}

/** The value of a played piece string `KIND_COLOR(v)` or object `{value}`; 0 when unknown. */
function playedValue(piece: unknown): number {
  if (typeof piece === 'string') return Number(/\((\d+)\)$/.exec(piece)?.[1] ?? 0);
  if (isObject(piece) && typeof piece['value'] === 'number') return piece['value'];
  return 0;
}

/**
 * The play winning so far from `turn_plays` (in play order): the first play, replaced only by a later play
 * of the same type with a strictly higher value (§6.4; extended straights compare by total here).
 */
export function turnLeader(turnPlays: Record<string, unknown>): PlayContext['leader'] {
  let leader: PlayContext['leader'] = null;
  for (const [name, play] of Object.entries(turnPlays)) {
    if (!isObject(play)) continue;
    const type =
      typeof play['play_type'] === 'string'
        ? play['play_type']
        : typeof play['type'] === 'string'
          ? play['type']
          : 'INVALID';
    const pieces = Array.isArray(play['pieces']) ? play['pieces'] : [];
    const value =
      typeof play['play_value'] === 'number'
        ? play['play_value']
        : pieces.reduce((sum: number, x) => sum + playedValue(x), 0);
    if (leader === null) leader = { name, type, value };
    else if (type === leader.type && value > leader.value) leader = { name, type, value };
  }
  return leader;
}

/** The player's own hand from a `phase_change` data (`players[me].hand`, else `phase_data.my_hand`). */
export function ownHand(data: Record<string, unknown>, me: string): HandPiece[] {
  const players = data['players'];
  let hand: unknown;
  if (isObject(players) && isObject(players[me])) hand = players[me]['hand'];
  else if (Array.isArray(players))
    hand = players.find((p): p is Record<string, unknown> => isObject(p) && p['name'] === me)?.['hand'];
  const pd = data['phase_data'];
  if (!Array.isArray(hand) && isObject(pd)) hand = pd['my_hand'];
  return Array.isArray(hand) ? hand.filter(isWirePiece) : [];
}

/** A numeric field of the player's own entry in `players` (0 when absent). */
function ownNumber(data: Record<string, unknown>, me: string, key: string): number {
  const players = data['players'];
  let p: unknown;
  if (isObject(players)) p = players[me];
  else if (Array.isArray(players)) p = players.find((x) => isObject(x) && x['name'] === me);
  const v = isObject(p) ? p[key] : 0;
  return typeof v === 'number' ? v : 0;
}

/**
 * Whether `data` (a phase_change) shows `action` of player `me` applied, by direct evidence: the declared
 * value recorded, the very pieces in `turn_plays` of that turn, the redeal decision recorded (or, for the
 * last decision, the round moving on). A later phase alone is no evidence: a bot may have acted instead.
 */
export function reflects(data: Record<string, unknown>, me: string, action: Decision): boolean {
  const [kind, r, t] = action.key.split(':');
  if (data['round'] !== Number(r?.slice(1))) return false;
  const pd = isObject(data['phase_data']) ? data['phase_data'] : {};
  const phase = data['phase'];
  if (kind === 'declaration') {
    if (phase === 'declaration')
      return isObject(pd['declarations']) && pd['declarations'][me] === action.data['value'];
    return phase === 'turn' && ownNumber(data, me, 'declared') === action.data['value'];
  }
  if (kind === 'turn') {
    const plays = isObject(pd['turn_plays']) ? pd['turn_plays'] : {};
    const mine = plays[me];
    if (phase !== 'turn' || pd['current_turn_number'] !== Number(t?.slice(1)) || !isObject(mine))
      return false;
    const got = Array.isArray(mine['pieces']) ? mine['pieces'].map(String).sort() : [];
    return JSON.stringify(got) === JSON.stringify([...(action.pieces ?? [])].sort());
  }
  if (kind === 'preparation') {
    if (phase === 'round_start') return true;
    const decisions = isObject(pd['redeal_decisions']) ? pd['redeal_decisions'] : {};
    if (phase === 'preparation' && me in decisions)
      return decisions[me] === (action.event === 'accept_redeal');
    return false;
  }
  return false;
}

/** The strategies a decision uses (the options minus the transport). */
export interface Strategy {
  readonly redeal: RedealPolicy;
  readonly declare: (ctx: DeclareContext) => number;
  readonly play: (ctx: PlayContext) => readonly number[];
  readonly acceptedSoFar: number;
}

/**
 * The action a frontend user `me` takes on this `phase_change` data, or null when it is not their move.
 * Pure: repeated frames give the same decision `key`, which the player uses to act at most once.
 */
export function decide(data: Record<string, unknown>, me: string, strategy: Strategy): Decision | null {
  const phase = data['phase'];
  const pd = isObject(data['phase_data']) ? data['phase_data'] : {};
  const round = typeof data['round'] === 'number' ? data['round'] : 0;
  const hand = ownHand(data, me);
  switch (phase) {
    case 'preparation': {
      const awaiting = pd['weak_players_awaiting'];
      if (pd['simultaneous_mode'] !== true || !Array.isArray(awaiting) || !awaiting.includes(me)) return null;
      const multiplier = typeof pd['redeal_multiplier'] === 'number' ? pd['redeal_multiplier'] : 1;
      const accept = redealAnswer(strategy.redeal, {
        round,
        multiplier,
        acceptedSoFar: strategy.acceptedSoFar,
        hand,
      });
      return {
        key: `preparation:r${round}:x${multiplier}:${me}`,
        event: accept ? 'accept_redeal' : 'decline_redeal',
        data: { player_name: me },
      };
    }
    case 'declaration': {
      if (pd['current_declarer'] !== me) return null;
      const declarations = isObject(pd['declarations']) ? pd['declarations'] : {};
      if (me in declarations) return null;
      const order = Array.isArray(pd['declaration_order']) ? pd['declaration_order'] : [];
      const earlier = Object.values(declarations).filter((v): v is number => typeof v === 'number');
      const earlierTotal = earlier.reduce((a, b) => a + b, 0);
      const isLast = earlier.length === Math.max(order.length, 4) - 1;
      const zeroStreak = ownNumber(data, me, 'zero_declares_in_a_row');
      const valid = validDeclarations(earlierTotal, isLast, zeroStreak);
      const value = snapDeclaration(
        strategy.declare({ round, hand, earlierTotal, isLast, zeroStreak, valid }),
        valid,
      );
      return { key: `declaration:r${round}:${me}`, event: 'declare', data: { value, player_name: me } };
    }
    case 'turn': {
      if (pd['current_player'] !== me || pd['turn_complete'] === true) return null;
      const plays = isObject(pd['turn_plays']) ? pd['turn_plays'] : {};
      if (me in plays) return null;
      if (hand.length === 0) return null;
      const turnNumber = typeof pd['current_turn_number'] === 'number' ? pd['current_turn_number'] : 0;
      const rpc = pd['required_piece_count'];
      const required = typeof rpc === 'number' && Object.keys(plays).length > 0 ? rpc : null;
      const declared = ownNumber(data, me, 'declared');
      const need = declared - ownNumber(data, me, 'captured_piles');
      const leader = required === null ? null : turnLeader(plays);
      const indices = [...strategy.play({ round, turnNumber, hand, required, need, leader })];
      const playValue = indices.reduce((sum, i) => sum + (hand[i]?.value ?? 0), 0);
      return {
        key: `turn:r${round}:t${turnNumber}:${me}`,
        event: 'play',
        data: { piece_indices: indices, player_name: me, play_value: playValue },
        pieces: indices.map((i) => (hand[i] === undefined ? '?' : `${hand[i].kind}(${hand[i].value})`)),
      };
    }
    default:
      return null;
  }
}

/**
 * A scripted human on one seat. Call `start()`; it reacts to every `phase_change` on its socket, acts at most
 * once per decision point, and resolves `finished` with the `game_over` frame. After a reconnect, `attach()`
 * the new socket (or call `reconnect()`): the snapshot it receives decides what is still to do.
 */
export class ScriptedPlayer {
  /** The seat name. */
  readonly name: string;
  /** Resolves with the `game_over` phase_change frame. */
  readonly finished: Promise<ServerFrame>;

  readonly #opts: ScriptedPlayerOptions;
  #socket: FrontendSocket;
  #unsubscribe: (() => void) | null = null;
  #acted = new Map<string, Decision>();
  #pending: { key: string; timer: NodeJS.Timeout } | null = null;
  #retries = new Map<string, number>();
  #reconnects = 0;
  #reconnecting: Promise<FrontendSocket> | null = null;
  #latest: Record<string, unknown> | null = null;
  #acceptedSoFar = 0;
  #started = false;
  #done: ServerFrame | null = null;
  #resolveFinished: (frame: ServerFrame) => void = () => undefined;
  #rejectFinished: (error: Error) => void = () => undefined;
  readonly #actions: TakenAction[] = [];
  /** Sent actions not yet seen applied (kept across reconnects: the snapshot may show them). */
  readonly #unacked = new Map<string, Decision>();
  readonly #acked: Decision[] = [];
  readonly #errors: ServerFrame[] = [];
  readonly #stale: ServerFrame[] = [];
  readonly #sockets: FrontendSocket[] = [];

  constructor(socket: FrontendSocket, opts: ScriptedPlayerOptions = {}) {
    const name = opts.name ?? socket.playerName;
    if (name === null || name === undefined)
      throw new Error('ScriptedPlayer needs a name: pass opts.name or a socket opened with playerName');
    this.name = name;
    this.#opts = opts;
    this.#socket = socket;
    this.#sockets.push(socket);
    this.finished = new Promise<ServerFrame>((resolve, reject) => {
      this.#resolveFinished = resolve;
      this.#rejectFinished = reject;
    });
    // A rejected `finished` nobody awaits must not crash the run; callers still see the rejection.
    this.finished.catch(() => undefined);
  }

  /** The socket the player currently uses. */
  get socket(): FrontendSocket {
    return this.#socket;
  }

  /** The browser (cookie jar) of the player's socket. */
  get browser(): Browser {
    return this.#socket.browser;
  }

  /** True once `game_over` was seen. */
  get isDone(): boolean {
    return this.#done !== null;
  }

  /** The latest `phase_change` data seen (null before the first). */
  latest(): Record<string, unknown> | null {
    return this.#latest;
  }

  /** Every action taken, in order (`sent: false` when the socket was already closed: lost like the frontend's). */
  actions(): readonly TakenAction[] {
    return this.#actions;
  }

  /**
   * Actions a later `phase_change` showed applied (the server acknowledged them by a broadcast), in order.
   * A crash test asserts these survive a restart. An action the server never applied is not listed.
   */
  acknowledged(): readonly Decision[] {
    return this.#acked;
  }

  /** How many times the player reconnected (by `reconnect`, `refresh` or `autoReconnect`). */
  get reconnects(): number {
    return this.#reconnects;
  }

  /**
   * `error` frames received on any of the player's sockets while it was playing, except the refusals of
   * {@link staleRefusals}.
   */
  errors(): readonly ServerFrame[] {
    return this.#errors;
  }

  /**
   * Redeal answers the game refused with `WRONG_PHASE` because the decision was already over: at
   * `GAME_TIME_SCALE=0` the redeal timeout is 0 ms and may beat the answer (the load tool counts these as
   * "stale actions" too). Not errors of the server.
   */
  staleRefusals(): readonly ServerFrame[] {
    return this.#stale;
  }

  /** Contract violations over every socket this player used. */
  violations(): { rule: string; detail: string; event: string; index: number }[] {
    return this.#sockets.flatMap((s) =>
      s.violations().map((v) => ({ ...v, detail: `${s.label}: ${v.detail}` })),
    );
  }

  /** Starts reacting: processes the latest `phase_change` already received, then every new frame. Idempotent. */
  start(): this {
    if (this.#started) return this;
    this.#started = true;
    this.#subscribe();
    return this;
  }

  /** Stops reacting (pending delayed actions are cancelled). `finished` stays pending. */
  stop(): void {
    this.#started = false;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#cancelPending();
  }

  /**
   * Switches to a new socket of the same seat (after a refresh or reconnect). Decision points are re-armed:
   * the server's snapshot tells whether an earlier action was received (frames sent while offline are lost).
   */
  attach(socket: FrontendSocket): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#cancelPending();
    this.#socket = socket;
    this.#sockets.push(socket);
    this.#acted = new Map();
    this.#retries = new Map();
    if (this.#started) this.#subscribe();
  }

  /** Reconnects like the frontend (`client_ready {player_name}` on a new socket of the same browser) and attaches. */
  async reconnect(baseUrl = this.#opts.baseUrl): Promise<FrontendSocket> {
    if (baseUrl === undefined)
      throw new Error(`${this.name}: reconnect() needs a baseUrl (argument or options.baseUrl)`);
    const socket = await this.browser.connect(baseUrl, this.#socket.roomId, {
      ...this.#opts.connectOptions,
      playerName: this.name,
    });
    this.#reconnects++;
    this.attach(socket);
    return socket;
  }

  /** A browser refresh: the page closes its socket with 1001, then the reloaded page reconnects (session recovery). */
  async refresh(baseUrl = this.#opts.baseUrl): Promise<FrontendSocket> {
    await this.#socket.close(1001, 'Page reload');
    return this.reconnect(baseUrl);
  }

  /** A report for failure messages: phase, actions, errors, last frames. */
  describe(): string {
    const pd = this.#latest;
    const phase = pd === null ? 'none' : `${String(pd['phase'])} (round ${String(pd['round'])})`;
    const last = this.#actions.at(-1);
    return [
      `${this.name}: latest phase ${phase}, ${this.#actions.length} actions (last ${last === undefined ? 'none' : `${last.event} ${last.key}`}), ${this.#errors.length} error frames, socket ${this.#socket.label} ${this.#socket.isOpen ? 'open' : `closed ${this.#socket.closeInfo?.code ?? ''}`}`,
      ...this.#errors.slice(-3).map((e) => `  error: ${JSON.stringify(e.data)}`),
      describeFrames(this.#socket.frames()),
    ].join('\n');
  }

  #subscribe(): void {
    const socket = this.#socket;
    const frames = socket.frames();
    // Act on the latest state only (a human sees the current screen, not the history).
    for (let i = frames.length - 1; i >= 0; i--) {
      const f = frames[i];
      if (f?.event === 'phase_change') {
        this.#onFrame(f);
        break;
      }
    }
    const unsubscribeFrames = socket.onFrame((frame) => this.#onFrame(frame));
    let active = true;
    this.#unsubscribe = () => {
      active = false;
      unsubscribeFrames();
    };
    void socket.closed.then((info) => {
      if (active && this.#started && this.#done === null && info.code !== 1000) this.#autoReconnect(socket);
    });
  }

  #autoReconnect(from: FrontendSocket): void {
    const opts = this.#opts.autoReconnect;
    const baseUrl = this.#opts.baseUrl;
    if (opts === undefined || baseUrl === undefined || this.#reconnecting !== null || from !== this.#socket)
      return;
    const attempts = opts.attempts ?? 1;
    const delayMs = opts.delayMs ?? 1000;
    this.#reconnecting = (async () => {
      let last: unknown;
      for (let i = 0; i < attempts; i++) {
        // Backoff between attempts is client behaviour (the frontend waits ~1 s), not test synchronisation.
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        if (!this.#started || this.#socket !== from) return this.#socket;
        try {
          return await this.reconnect(baseUrl);
        } catch (error) {
          last = error;
        }
      }
      throw new Error(`${this.name}: ${attempts} reconnect attempt(s) failed: ${String(last)}`);
    })();
    this.#reconnecting
      .catch((error: unknown) =>
        this.#rejectFinished(error instanceof Error ? error : new Error(String(error))),
      )
      .finally(() => {
        this.#reconnecting = null;
      });
  }

  #cancelPending(): void {
    if (this.#pending !== null) clearTimeout(this.#pending.timer);
    this.#pending = null;
  }

  #strategy(): Strategy {
    return {
      redeal: this.#opts.redeal ?? 'decline',
      declare: this.#opts.declare ?? defaultDeclaration,
      play: this.#opts.play ?? defaultPlay,
      acceptedSoFar: this.#acceptedSoFar,
    };
  }

  #onFrame(frame: ServerFrame): void {
    if (frame.event === 'error') {
      const event = frame.data['event_type'];
      if (frame.data['type'] === 'WRONG_PHASE' && (event === 'accept_redeal' || event === 'decline_redeal')) {
        this.#stale.push(frame);
        return;
      }
      this.#errors.push(frame);
      this.#retryAfterError(frame);
      return;
    }
    if (frame.event !== 'phase_change' || this.#done !== null) return;
    this.#latest = frame.data;
    this.#noteAcks(frame.data);
    if (frame.data['phase'] === 'game_over') {
      this.#done = frame;
      this.#cancelPending();
      this.#resolveFinished(frame);
      return;
    }
    let decision: Decision | null;
    try {
      decision = decide(frame.data, this.name, this.#strategy());
    } catch (error) {
      this.#rejectFinished(
        new Error(
          `${this.name}: cannot decide on ${JSON.stringify(frame.data).slice(0, 300)}: ${String(error)}`,
        ),
      );
      return;
    }
    if (decision === null) {
      this.#cancelPending();
      return;
    }
    if (this.#acted.has(decision.key) || this.#pending?.key === decision.key) return;
    this.#cancelPending();
    const delay =
      typeof this.#opts.delayMs === 'function' ? this.#opts.delayMs(decision) : (this.#opts.delayMs ?? 0);
    if (delay <= 0) {
      this.#act(decision);
      return;
    }
    const key = decision.key;
    this.#pending = {
      key,
      timer: setTimeout(() => {
        this.#pending = null;
        // Re-decide on the screen as it is now: act only if the same decision point is still open.
        const now = this.#latest === null ? null : decide(this.#latest, this.name, this.#strategy());
        if (now !== null && now.key === key && !this.#acted.has(key)) this.#act(now);
      }, delay),
    };
  }

  /** Marks sent actions whose effect this phase_change shows (the server stored and broadcast them). */
  #noteAcks(data: Record<string, unknown>): void {
    for (const [key, action] of this.#unacked) {
      if (!reflects(data, this.name, action)) continue;
      this.#unacked.delete(key);
      this.#acked.push(action);
    }
  }

  /** An error while our action's decision point is still open: click again later (bounded). */
  #retryAfterError(frame: ServerFrame): void {
    const retry = this.#opts.retryOnError;
    if (retry === false || this.#latest === null || this.#pending !== null || this.#done !== null) return;
    const open = decide(this.#latest, this.name, this.#strategy());
    if (open === null || !this.#acted.has(open.key)) return;
    const count = this.#retries.get(open.key) ?? 0;
    if (count >= (retry?.maxRetries ?? 5)) return;
    this.#retries.set(open.key, count + 1);
    const after = frame.data['retry_after_ms'];
    const delay = typeof after === 'number' && after >= 0 ? after + 10 : (retry?.delayMs ?? 100);
    const key = open.key;
    this.#pending = {
      key,
      timer: setTimeout(() => {
        this.#pending = null;
        // Still open? Then send the same action again (not a new choice: the policy already spoke).
        const now = this.#latest === null ? null : decide(this.#latest, this.name, this.#strategy());
        const original = this.#acted.get(key);
        if (now !== null && now.key === key && original !== undefined) this.#act(original, count + 1);
      }, delay),
    };
  }

  #act(decision: Decision, retry = 0): void {
    this.#acted.set(decision.key, decision);
    if (decision.event === 'accept_redeal' && retry === 0) this.#acceptedSoFar++;
    const sent = this.#socket.send(decision.event, decision.data) !== null;
    if (sent && !this.#acked.some((a) => a.key === decision.key)) this.#unacked.set(decision.key, decision);
    this.#actions.push({ ...decision, at: Date.now(), sent, retry });
    const hook = this.#opts.onAction;
    if (hook === undefined) return;
    try {
      const result = hook(decision, this);
      if (result instanceof Promise)
        result.catch((error: unknown) =>
          this.#rejectFinished(error instanceof Error ? error : new Error(String(error))),
        );
    } catch (error) {
      this.#rejectFinished(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

/** Options of `playUntilGameOver`. */
export interface PlayUntilOptions {
  /** Failure bound for the whole game (default 120 s). */
  readonly timeoutMs?: number;
}

/**
 * Starts every player and resolves with their `game_over` frames once all have one. On the failure bound
 * (or a player's failure) rejects with each player's state and last frames.
 */
export async function playUntilGameOver(
  players: readonly ScriptedPlayer[],
  opts: PlayUntilOptions = {},
): Promise<ServerFrame[]> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  for (const p of players) p.start();
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(
        new WaitError(
          'WAIT_TIMEOUT',
          `game not over within ${timeoutMs} ms:\n${players.map((p) => p.describe()).join('\n')}`,
        ),
      );
    }, timeoutMs);
  });
  try {
    return await Promise.race([Promise.all(players.map((p) => p.finished)), bound]);
  } catch (error) {
    if (error instanceof WaitError) throw error;
    throw new Error(`${String(error)}\n${players.map((p) => p.describe()).join('\n')}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
