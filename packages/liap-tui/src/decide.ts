/** `decide(state, command, ctx)`: validates a command against the state and returns the events it causes. */
import { declareFor, legacyPlay } from './bot.js';
import { DomainError } from './errors.js';
import { scaled } from './config.js';
import { evolve } from './evolve.js';
import { createDeck, pointsOf, type PieceKind } from './pieces.js';
import { shuffleInPlace, type Rng } from './rng.js';
import { gameWinners, isWeakHand, playType, rotationFrom, scoreRound, totalPoints, winningPlayIndex } from './rules.js';
import type { CompletedPlay, TurnPlay, DecideContext, LiapCommand, LiapEvent, LiapState, Ranking, RoundScore, Seat, SeatInfo } from './types.js';

/** Avatar colours for humans (§10.1). */
export const AVATAR_COLORS = ['blue', 'purple', 'orange', 'red', 'green', 'teal', 'pink', 'yellow'] as const;

const NAME_FORBIDDEN = /[<>&"'\r\n]/;

/** Collects events and keeps the state they lead to, so later steps of one decision see earlier ones. */
class Emitter {
  events: LiapEvent[] = NO_EVENTS;
  private applied = 0;
  constructor(private current: LiapState) {}
  /** The state after the events emitted so far (evolved lazily: most commands never read it). */
  get state(): LiapState {
    while (this.applied < this.events.length) this.current = evolve(this.current, this.events[this.applied++] as LiapEvent);
    return this.current;
  }
  emit(e: LiapEvent): void {
    // most decisions emit one event: a one-element literal instead of an empty array grown by push
    if (this.events === NO_EVENTS) this.events = [e];
    else this.events.push(e);
  }
}

/** Placeholder of an Emitter without events yet (shared: never handed out, never written). */
const NO_EVENTS: LiapEvent[] = [];

function fail(code: ConstructorParameters<typeof DomainError>[0], message: string, details: Record<string, unknown> = {}): never {
  throw new DomainError(code, message, details);
}

function seatName(state: LiapState, seat: Seat): string {
  return state.seats[seat]?.name ?? `Seat ${seat + 1}`;
}

function checkSeat(seat: unknown, field = 'seat'): Seat {
  if (typeof seat !== 'number' || !Number.isInteger(seat) || seat < 0 || seat > 3) fail('INVALID_SEAT', `Invalid ${field}: must be 0..3`, { [field]: seat });
  return seat;
}

function checkName(name: unknown): string {
  if (typeof name !== 'string') fail('INVALID_NAME', 'Player name must be a string');
  const trimmed = name.trim();
  if (trimmed.length === 0) fail('INVALID_NAME', 'Player name cannot be empty');
  if (trimmed.length > 50) fail('INVALID_NAME', 'Player name too long');
  if (NAME_FORBIDDEN.test(trimmed)) fail('INVALID_NAME', 'Player name contains invalid characters');
  return trimmed;
}

function requireRoom(state: LiapState): void {
  if (state.status === 'empty') fail('NO_ROOM', 'Room not found');
  if (state.status === 'closed') fail('ROOM_CLOSED', 'Room is closed');
}

function requireHost(state: LiapState, seat: Seat, action: string): void {
  if (state.host !== seat) fail('NOT_HOST', `Only the host can ${action}`, { seat, host: state.host });
}

function requirePreGame(state: LiapState): void {
  requireRoom(state);
  if (state.status !== 'open') fail('GAME_IN_PROGRESS', 'Cannot do that while the game is in progress');
}

function requireInGame(state: LiapState): void {
  requireRoom(state);
  if (state.status === 'open') fail('GAME_NOT_STARTED', 'The game has not started');
  if (state.status === 'over') fail('GAME_OVER', 'The game is over');
}

function requirePhase(state: LiapState, phase: LiapState['phase'], what: string): void {
  requireInGame(state);
  if (state.phase !== phase) fail('WRONG_PHASE', `Cannot ${what} during ${state.phase}`, { phase: state.phase });
}

function humanSeat(state: LiapState, seat: Seat): SeatInfo {
  const s = state.seats[seat];
  if (s === null || s === undefined) fail('SEAT_EMPTY', `Seat ${seat + 1} is empty`, { seat });
  if (s.originalIsBot) fail('INVALID_SEAT', `Seat ${seat + 1} is a bot`, { seat });
  if (s.left) fail('INVALID_SEAT', `${s.name} has left the game`, { seat });
  return s;
}

function pickColor(state: LiapState, rng: Rng): string {
  const used = new Set(state.seats.map((s) => s?.avatarColor).filter((c) => c !== null && c !== undefined));
  const free = AVATAR_COLORS.filter((c) => !used.has(c));
  const pool = free.length > 0 ? free : [...AVATAR_COLORS];
  return pool[rng.int(0, pool.length - 1)] as string;
}

/** Deals 4 hands of 8 according to the dealing mode (decision 2; always 8/8/8/8). */
export function dealHands(state: LiapState, rng: Rng, dealNumber: number): PieceKind[][] {
  const deck = shuffleInPlace(createDeck(), rng);
  const dealing = state.config.dealing;
  if (dealing.mode === 'random') {
    const hands: PieceKind[][] = [[], [], [], []];
    deck.forEach((k, i) => (hands[i % 4] as PieceKind[]).push(k));
    return hands;
  }
  const strong = deck.filter((k) => pointsOf(k) > 9);
  const weak = deck.filter((k) => pointsOf(k) <= 9);
  const hands: PieceKind[][] = [[], [], [], []];
  const forced = dealNumber <= dealing.maxForcedDeals;
  const weakSeats = forced ? dealing.weakSeats : [];
  for (const s of weakSeats) (hands[s] as PieceKind[]).push(...weak.splice(0, 8));
  const others = [0, 1, 2, 3].filter((s) => !weakSeats.includes(s));
  for (const s of others) (hands[s] as PieceKind[]).push(strong.shift() as PieceKind);
  const rest = shuffleInPlace([...strong, ...weak], rng);
  for (const s of others) {
    const h = hands[s] as PieceKind[];
    h.push(...rest.splice(0, 8 - h.length));
    shuffleInPlace(h, rng);
  }
  return hands;
}

function emitDeal(em: Emitter, ctx: DecideContext, round: number, multiplier: number, afterRedeal: boolean): void {
  const s = em.state;
  const dealNumber = s.round === round && s.prep !== null ? s.prep.dealsThisRound + 1 : 1;
  const hands = dealHands(s, ctx.rng, dealNumber);
  const weakSeats = [0, 1, 2, 3].filter((i) => isWeakHand(hands[i] as PieceKind[]));
  em.emit({ type: 'hands_dealt', at: ctx.now, round, multiplier, hands, weakSeats, afterRedeal });
}

/** §4 `_determine_starter`. */
function determineStarter(state: LiapState): { starter: Seat; reason: string } {
  const requester = state.prep?.redealRequester ?? null;
  if (requester !== null) return { starter: requester, reason: 'accepted_redeal' };
  if (state.round === 1) {
    const holder = state.players.findIndex((p) => p.hand.includes('GENERAL_RED'));
    if (holder >= 0) return { starter: holder, reason: 'has_general_red' };
  }
  if (state.lastTurnWinner !== null) return { starter: state.lastTurnWinner, reason: 'won_last_turn' };
  return { starter: 0, reason: 'default' };
}

/** §3.5: the starter when nobody is weak. */
function starterAfterDeal(state: LiapState): { starter: Seat; reason: string } {
  const cur = state.currentStarter;
  if (cur === null) return determineStarter(state);
  if (state.round > 1 && state.lastTurnWinner === cur) return { starter: cur, reason: 'won_last_turn' };
  return { starter: cur, reason: state.starterReason ?? 'default' };
}

function emitRoundStart(em: Emitter, ctx: DecideContext, pick: { starter: Seat; reason: string }): void {
  em.emit({
    type: 'round_started',
    at: ctx.now,
    round: em.state.round,
    starter: pick.starter,
    starterName: seatName(em.state, pick.starter),
    reason: pick.reason,
  });
}

/** §3.3: once every weak player has answered. */
function resolveRedealIfDone(em: Emitter, ctx: DecideContext): void {
  const prep = em.state.prep;
  if (prep === null || prep.weakSeats.some((s) => prep.decisions[s] === null)) return;
  const order = rotationFrom(em.state.currentStarter ?? 0);
  const accepter = order.find((s) => prep.decisions[s] === true);
  if (accepter !== undefined) {
    em.emit({ type: 'redeal_accepted', at: ctx.now, seat: accepter, name: seatName(em.state, accepter), multiplier: em.state.multiplier + 1 });
    emitDeal(em, ctx, em.state.round, em.state.multiplier, true);
  } else {
    emitRoundStart(em, ctx, determineStarter(em.state));
  }
}

function emitRedealDecision(em: Emitter, ctx: DecideContext, seat: Seat, accept: boolean, auto: boolean): void {
  em.emit({ type: 'redeal_decided', at: ctx.now, seat, name: seatName(em.state, seat), accept, auto });
}

function nextHumanHost(state: LiapState, leaving: Seat): Seat | null {
  const others = [1, 2, 3].map((i) => (leaving + i) % 4).sort((a, b) => a - b);
  const humanSeat = others.find((s) => {
    const x = state.seats[s];
    return x !== null && x !== undefined && !x.originalIsBot && x.connected && !x.left;
  });
  if (humanSeat !== undefined) return humanSeat;
  const botSeat = others.find((s) => state.seats[s] !== null && state.seats[s] !== undefined);
  return botSeat ?? null;
}

function transferHostIfNeeded(em: Emitter, ctx: DecideContext, seat: Seat): void {
  if (em.state.host !== seat) return;
  const to = nextHumanHost(em.state, seat);
  if (to === null) return;
  em.emit({ type: 'host_changed', at: ctx.now, from: seat, to, oldHost: seatName(em.state, seat), newHost: seatName(em.state, to) });
}

function emitDeclare(em: Emitter, ctx: DecideContext, seat: Seat, value: number, auto: boolean): void {
  const before = em.state;
  em.emit({ type: 'declared', at: ctx.now, seat, name: seatName(before, seat), value, auto });
  // evolve('declared') advances `index` by one and keeps `order` (a null declaration stays null): read it from the
  // state before the event instead of evolving the event here only to look at it
  const d = before.declaration;
  if (d !== null && d.index + 1 >= 4) {
    const starter = d.order[0] as Seat;
    em.emit({ type: 'turn_started', at: ctx.now, turnNumber: 1, starter, order: rotationFrom(starter) });
  }
}

function validateDeclare(state: LiapState, seat: Seat, value: unknown): number {
  requirePhase(state, 'declaration', 'declare');
  const d = state.declaration;
  if (d === null) return fail('WRONG_PHASE', 'Cannot declare now');
  const current = d.order[d.index];
  if (current === undefined) fail('NOT_YOUR_TURN', 'Everyone has declared');
  if (current !== seat) fail('NOT_YOUR_TURN', `It's ${seatName(state, current)}'s turn to declare`, { seat, current });
  if (typeof value !== 'number' || !Number.isInteger(value)) fail('INVALID_DECLARATION', 'Declaration value must be an integer', { value });
  if (value < 0 || value > 8) fail('INVALID_DECLARATION', 'Declaration value must be between 0 and 8', { value });
  if (d.index === 3 && value === 8 - d.total) {
    fail('DECLARATION_MAKES_EIGHT', `The last player cannot declare ${value}: the total would be 8`, { value, total: d.total });
  }
  const streak = state.players[seat]?.zeroDeclaresInARow ?? 0;
  if (value === 0 && streak >= 2) fail('ZERO_STREAK', 'You must declare at least 1 after declaring 0 twice in a row', { streak });
  return value;
}

function validatePlay(state: LiapState, seat: Seat, indices: unknown): number[] {
  requirePhase(state, 'turn', 'play');
  const t = state.turn;
  if (t === null) return fail('WRONG_PHASE', 'Cannot play now');
  const complete = t.plays.length >= 4;
  const current = t.order[complete ? 3 : t.plays.length] as Seat;
  if (current !== seat) fail('NOT_YOUR_TURN', `It's ${seatName(state, current)}'s turn to play`, { seat, current });
  if (t.plays.some((p) => p.seat === seat)) fail('ALREADY_PLAYED', 'You have already played this turn', { seat });
  if (!Array.isArray(indices)) fail('INVALID_PIECES', 'Invalid play - missing pieces');
  const list = indices as unknown[];
  if (list.length === 0) fail('INVALID_PIECES', 'Please select pieces to play');
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (typeof v !== 'number' || !Number.isInteger(v)) fail('INVALID_PIECES', 'All piece indices must be integers', { indices });
    if (list.indexOf(v) !== i) fail('INVALID_PIECES', `Duplicate piece index: ${v}`, { indices });
  }
  const idx = list as number[];
  if (t.required === null) {
    if (idx.length < 1 || idx.length > 6) fail('WRONG_PIECE_COUNT', 'You must play between 1 and 6 pieces', { count: idx.length });
  } else if (idx.length !== t.required) {
    fail('WRONG_PIECE_COUNT', `Must play exactly ${t.required} pieces`, { count: idx.length, required: t.required });
  }
  const hand = state.players[seat]?.hand ?? [];
  if (idx.some((i) => i < 0 || i >= hand.length)) fail('PIECES_NOT_IN_HAND', "You don't have one or more of the selected pieces", { indices, handSize: hand.length });
  if (t.required === null && playType(idx.map((i) => hand[i] as PieceKind)) === 'INVALID') {
    fail('INVALID_COMBINATION', 'Starter must play a valid combination', { indices });
  }
  return idx;
}

function emitPlay(em: Emitter, ctx: DecideContext, seat: Seat, indices: readonly number[], auto: boolean): void {
  const hand = em.state.players[seat]?.hand ?? [];
  const pieces = indices.map((i) => hand[i] as PieceKind);
  em.emit({
    type: 'pieces_played',
    at: ctx.now,
    seat,
    name: seatName(em.state, seat),
    indices: indices.slice(),
    pieces,
    playType: playType(pieces),
    playValue: totalPoints(pieces),
    auto,
  });
}

function emitTurnResolution(em: Emitter, ctx: DecideContext): void {
  const s = em.state;
  const t = s.turn;
  if (t === null) return;
  const winner = t.plays.length > 0 ? (t.plays[winningPlayIndex(t.plays)] as TurnPlay).seat : t.starter;
  const pilesWon = t.required ?? 0;
  const capturedPiles = s.players.map((p, i) => p.capturedPiles + (i === winner ? pilesWon : 0));
  const allHandsEmpty = s.players.every((p) => p.hand.length === 0);
  const plays: CompletedPlay[] = t.plays.map((p) => ({ seat: p.seat, name: seatName(s, p.seat), pieces: p.pieces, playType: p.playType, playValue: p.playValue }));
  em.emit({
    type: 'turn_completed',
    at: ctx.now,
    turnNumber: t.number,
    winner,
    winnerName: seatName(s, winner),
    pilesWon,
    plays,
    nextStarter: winner,
    nextStarterName: seatName(s, winner),
    allHandsEmpty,
    capturedPiles,
    declared: s.players.map((p) => p.declared),
    names: s.seats.map((x, i) => x?.name ?? seatName(s, i)),
  });
  if (allHandsEmpty) em.emit({ type: 'turn_results_shown', at: ctx.now, lastTurnWinner: winner });
}

function emitScoring(em: Emitter, ctx: DecideContext): void {
  const s = em.state;
  const scores: RoundScore[] = s.players.map((p) => {
    const b = scoreRound(p.declared, p.capturedPiles, s.multiplier);
    return {
      declared: b.declared,
      actual: b.actual,
      baseScore: b.baseScore,
      bonus: b.bonus,
      hitValue: b.hitValue,
      multiplier: b.multiplier,
      finalScore: b.finalScore,
      totalScore: p.score + b.finalScore,
    };
  });
  const winners = gameWinners(scores.map((x) => x.totalScore));
  em.emit({ type: 'round_scored', at: ctx.now, round: s.round, multiplier: s.multiplier, scores, gameComplete: winners.length > 0, winners });
}

function emitGameEnd(em: Emitter, ctx: DecideContext): void {
  const s = em.state;
  const sorted = s.players.map((p, seat) => ({ p, seat })).sort((a, b) => b.p.score - a.p.score || a.seat - b.seat);
  const rankings: Ranking[] = sorted.map(({ p, seat }, i) => ({
    seat,
    name: seatName(s, seat),
    score: p.score,
    rank: i + 1,
    turnsWon: p.turnsWon,
    perfectRounds: p.perfectRounds,
  }));
  em.emit({
    type: 'game_ended',
    at: ctx.now,
    winners: s.winners,
    winnerNames: s.winners.map((w) => seatName(s, w)),
    rankings,
    totalRounds: s.round,
  });
}

function onTimer(em: Emitter, ctx: DecideContext, timer: { timer: string; seat?: Seat }): void {
  const s = em.state;
  switch (timer.timer) {
    case 'dealingEnds':
      emitRoundStart(em, ctx, starterAfterDeal(s));
      return;
    case 'redealWarning': {
      const d = s.config.delays;
      em.emit({ type: 'redeal_warning', at: ctx.now, secondsRemaining: Math.round(scaled(s.config, d.redealTimeoutMs - d.redealWarningMs) / 1000) });
      return;
    }
    case 'redealTimeout': {
      const prep = s.prep;
      if (prep === null) return;
      for (const seat of prep.weakSeats) if (prep.decisions[seat] === null) emitRedealDecision(em, ctx, seat, false, true);
      resolveRedealIfDone(em, ctx);
      return;
    }
    case 'roundStartEnds':
      em.emit({ type: 'declarations_opened', at: ctx.now, order: rotationFrom(s.currentStarter ?? 0) });
      return;
    case 'moveTimeout': {
      const seat = timer.seat ?? -1;
      if (s.phase === 'declaration') emitDeclare(em, ctx, seat, declareFor(s, seat), true);
      else if (s.phase === 'turn') emitPlay(em, ctx, seat, legacyPlay(s.players[seat]?.hand ?? [], s.turn?.required ?? null), true);
      return;
    }
    case 'turnRevealEnds':
      emitTurnResolution(em, ctx);
      return;
    case 'nextTurnStarts': {
      const t = s.turn;
      if (t === null || t.result === null) return;
      em.emit({ type: 'turn_started', at: ctx.now, turnNumber: t.number + 1, starter: t.result.nextStarter, order: rotationFrom(t.result.nextStarter) });
      return;
    }
    case 'turnResultsEnds':
      emitScoring(em, ctx);
      return;
    case 'scoringEnds':
      if (s.scoring?.gameComplete === true) emitGameEnd(em, ctx);
      else emitDeal(em, ctx, s.round + 1, 1, false);
      return;
  }
}

/**
 * Decides what a command does: returns the events to append (possibly several), or throws a DomainError
 * (the state is unchanged). Randomness only from `ctx.rng`, time only from `ctx.now`.
 */
export function decide(state: LiapState, command: LiapCommand, ctx: DecideContext): LiapEvent[] {
  const cmd = command as unknown as Record<string, unknown> | null;
  if (cmd === null || typeof cmd !== 'object') fail('INVALID_COMMAND', 'Command must be an object');
  if (typeof cmd['id'] !== 'string' || cmd['id'].length === 0) fail('INVALID_COMMAND', 'Command id is required');
  const em = new Emitter(state);
  const now = ctx.now;
  switch (command.type) {
    case 'create_room': {
      if (state.status !== 'empty') fail('ROOM_EXISTS', 'Room already exists');
      const name = checkName(command.name);
      em.emit({ type: 'room_created', at: now, name, avatarColor: pickColor(state, ctx.rng), bots: ['Bot 2', 'Bot 3', 'Bot 4'] });
      break;
    }
    case 'join_room': {
      requireRoom(state);
      if (state.status !== 'open') fail('GAME_IN_PROGRESS', 'Game already started');
      const name = checkName(command.name);
      if (state.seats.some((s) => s !== null && s.name.toLowerCase() === name.toLowerCase())) fail('NAME_TAKEN', `The name ${name} is already taken in this room`, { name });
      let seat = state.seats.findIndex((s) => s === null);
      if (seat < 0) seat = state.seats.findIndex((s) => s !== null && s.originalIsBot);
      if (seat < 0) fail('ROOM_FULL', 'Room is full');
      const replaced = state.seats[seat];
      em.emit({ type: 'player_joined', at: now, seat, name, avatarColor: pickColor(state, ctx.rng), replacedBot: replaced?.name ?? null });
      break;
    }
    case 'leave_room': {
      const seat = checkSeat(command.seat);
      requireRoom(state);
      const s = humanSeat(state, seat);
      if (state.status === 'open') {
        if (state.host === seat) em.emit({ type: 'room_closed', at: now, reason: 'host_left' });
        else em.emit({ type: 'player_left', at: now, seat, name: s.name, inGame: false });
      } else {
        em.emit({ type: 'player_left', at: now, seat, name: s.name, inGame: true });
        // The seat is a bot's from now on (decision 6): a pending redeal decision is the bot's to make.
        transferHostIfNeeded(em, ctx, seat);
      }
      break;
    }
    case 'add_bot': {
      const seat = checkSeat(command.seat);
      const slot = checkSeat(command.slot, 'slot');
      requirePreGame(state);
      requireHost(state, seat, 'add bots');
      const cur = state.seats[slot];
      if (cur !== null && cur !== undefined) fail('SEAT_OCCUPIED', `Seat ${slot + 1} is occupied by ${cur.name}`, { slot });
      em.emit({ type: 'bot_added', at: now, seat: slot, name: `Bot ${slot + 1}`, replaced: null });
      break;
    }
    case 'remove_player': {
      const seat = checkSeat(command.seat);
      const slot = checkSeat(command.slot, 'slot');
      requirePreGame(state);
      requireHost(state, seat, 'remove players');
      if (slot === seat) fail('CANNOT_REMOVE_SELF', 'Host cannot remove themselves', { slot });
      const cur = state.seats[slot];
      if (cur === null || cur === undefined) fail('SEAT_EMPTY', `Seat ${slot + 1} is empty`, { slot });
      em.emit({ type: 'player_removed', at: now, seat: slot, name: cur.name, wasBot: cur.originalIsBot, removedBy: seatName(state, seat) });
      break;
    }
    case 'start_game': {
      const seat = checkSeat(command.seat);
      requirePreGame(state);
      requireHost(state, seat, 'start the game');
      if (state.seats.some((s) => s === null)) fail('SEATS_NOT_FILLED', 'All 4 seats must be filled to start', { filled: state.seats.filter((s) => s !== null).length });
      em.emit({ type: 'game_started', at: now, players: state.seats.map((s) => s?.name ?? '') });
      emitDeal(em, ctx, 1, 1, false);
      break;
    }
    case 'accept_redeal':
    case 'decline_redeal': {
      const seat = checkSeat(command.seat);
      requirePhase(state, 'preparation', 'decide on a redeal');
      const prep = state.prep;
      if (prep === null || !prep.weakSeats.includes(seat)) fail('NOT_WEAK_PLAYER', 'Not a weak player', { seat });
      if (prep.decisions[seat] !== null) fail('ALREADY_DECIDED', 'Already decided', { seat });
      emitRedealDecision(em, ctx, seat, command.type === 'accept_redeal', false);
      resolveRedealIfDone(em, ctx);
      break;
    }
    case 'declare': {
      const seat = checkSeat(command.seat);
      const value = validateDeclare(state, seat, command.value);
      emitDeclare(em, ctx, seat, value, false);
      break;
    }
    case 'play': {
      const seat = checkSeat(command.seat);
      const indices = validatePlay(state, seat, command.indices);
      emitPlay(em, ctx, seat, indices, false);
      break;
    }
    case 'player_disconnected': {
      const seat = checkSeat(command.seat);
      requireRoom(state);
      const s = humanSeat(state, seat);
      if (!s.connected) fail('ALREADY_DISCONNECTED', `${s.name} is already disconnected`, { seat });
      em.emit({ type: 'player_disconnected', at: now, seat, name: s.name });
      if (state.status === 'in_game') {
        // The seat is a bot's from now on (decision 6): a pending redeal decision is the bot's to make.
        transferHostIfNeeded(em, ctx, seat);
      }
      break;
    }
    case 'player_reconnected': {
      const seat = checkSeat(command.seat);
      requireRoom(state);
      const s = humanSeat(state, seat);
      if (s.connected) fail('NOT_DISCONNECTED', `${s.name} is not disconnected`, { seat });
      em.emit({ type: 'player_reconnected', at: now, seat, name: s.name });
      break;
    }
    case 'timer_fired': {
      const t = state.timers.find((x) => x.timer === command.timer && x.dueAt === command.dueAt);
      if (t === undefined) fail('UNKNOWN_TIMER', `No pending timer ${String(command.timer)} due at ${String(command.dueAt)} (stale or unknown)`, { timer: command.timer, dueAt: command.dueAt });
      if (now < t.dueAt) fail('TIMER_NOT_DUE', `Timer ${t.timer} is due at ${t.dueAt}, now is ${now}`, { timer: t.timer, dueAt: t.dueAt, now });
      onTimer(em, ctx, t);
      break;
    }
    default:
      fail('UNKNOWN_COMMAND', `Unknown command type: ${String((command as { type?: unknown }).type)}`);
  }
  // a fresh array even when nothing was emitted (the caller owns the result)
  return em.events === NO_EVENTS ? [] : em.events;
}
