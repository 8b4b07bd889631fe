/**
 * Checks what clients were told against what the store holds after a crash: every `phase_change` a client
 * saw must be exactly the view of the replayed stream at that frame's `sequence`, every `turn_complete`
 * must match a stored `turn_completed`, and every action a client saw acknowledged must be a stored event.
 */
import {
  evolve,
  initialState,
  turnCompleteData,
  viewFor,
  type LiapConfigInput,
  type LiapEvent,
  type LiapState,
} from '@game/liap-tui';
import type { ServerFrame, TakenAction } from '../support/index.js';

/** What the clients' last frames said the room was doing when the server died. */
export type KillCategory = 'mid_turn' | 'mid_redeal' | 'timer_pause' | 'declaration' | 'game_over' | 'no_game';

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Classifies a room's moment from the last frames one of its clients received. */
export function classify(frames: readonly ServerFrame[]): KillCategory {
  const last = frames.at(-1);
  let pc: ServerFrame | undefined;
  for (let i = frames.length - 1; i >= 0 && pc === undefined; i--) if (frames[i]?.event === 'phase_change') pc = frames[i];
  if (pc === undefined) return 'no_game';
  const pd = isObj(pc.data['phase_data']) ? pc.data['phase_data'] : {};
  const phase = pc.data['phase'];
  if (phase === 'game_over') return 'game_over';
  if (last?.event === 'turn_complete') return 'timer_pause';
  switch (phase) {
    case 'preparation': {
      const awaiting = pd['weak_players_awaiting'];
      return Array.isArray(awaiting) && awaiting.length > 0 ? 'mid_redeal' : 'timer_pause';
    }
    case 'turn':
      return pd['turn_complete'] === true ? 'timer_pause' : 'mid_turn';
    case 'declaration':
      return 'declaration';
    default:
      return 'timer_pause'; // round_start, turn_results, scoring: the server waits on a deadline
  }
}

/** A room's stream folded event by event: `states[v]` is the state after version v (`states[0]` empty). */
export interface Replay {
  readonly events: readonly LiapEvent[];
  readonly states: readonly LiapState[];
  readonly final: LiapState;
}

/** Folds stored events (in version order, versions 1..n) with the server's game configuration. */
export function replay(events: readonly { version: number; data: unknown }[], config: LiapConfigInput): Replay {
  let state = initialState(config);
  const states: LiapState[] = [state];
  const out: LiapEvent[] = [];
  for (const e of events) {
    if (e.version !== states.length) throw new Error(`stream gap: version ${e.version} where ${states.length} was expected`);
    state = evolve(state, e.data as LiapEvent);
    if (state.seq !== e.version) throw new Error(`state.seq ${state.seq} != version ${e.version}`);
    states.push(state);
    out.push(e.data as LiapEvent);
  }
  return { events: out, states, final: state };
}

const canon = (x: unknown): string => JSON.stringify(x);

/**
 * Problems with the frames one client socket received: a `phase_change` that is not the view of the
 * durable stream at its sequence (for the socket's seat, or the seatless view sent before it bound), or a
 * `turn_complete` no stored event explains.
 */
export function auditFrames(frames: readonly ServerFrame[], r: Replay, seat: number, label: string): string[] {
  const problems: string[] = [];
  const completed = r.events.filter((e): e is Extract<LiapEvent, { type: 'turn_completed' }> => e.type === 'turn_completed');
  frames.forEach((f, i) => {
    if (f.event === 'phase_change') {
      const seq = f.data['sequence'];
      if (typeof seq !== 'number' || seq < 0 || seq >= r.states.length) {
        problems.push(`${label} #${i}: phase_change at sequence ${String(seq)} but the stream ends at v${r.states.length - 1} (the client was told about an event that is not stored)`);
        return;
      }
      const state = r.states[seq]!;
      const got = canon(f.data);
      if (got !== canon(viewFor(state, seat)) && got !== canon(viewFor(state, null))) {
        problems.push(`${label} #${i}: phase_change at sequence ${seq} (${String(f.data['phase'])}) differs from the replay of the stream at v${seq}`);
      }
    } else if (f.event === 'turn_complete') {
      const ok = completed.some((e) => canon(turnCompleteData(e)) === canon(f.data));
      if (!ok) problems.push(`${label} #${i}: turn_complete (turn ${String(f.data['turn_number'])}) matches no stored turn_completed event`);
    }
  });
  return problems;
}

/** Per stored event: the round and turn number it belongs to. */
function positions(r: Replay): { event: LiapEvent; round: number; turn: number }[] {
  return r.events.map((event, i) => ({ event, round: r.states[i + 1]!.round, turn: r.states[i + 1]!.turn?.number ?? 0 }));
}

/**
 * Actions a player sent whose effect the player then saw in a `phase_change` (acknowledged by a
 * broadcast), each checked against the stream. Returns the number acknowledged and the problems.
 */
export function auditActions(
  actions: readonly TakenAction[] | readonly (TakenAction & Record<string, unknown>)[],
  frames: readonly ServerFrame[],
  r: Replay,
  seat: number,
  name: string,
): { acknowledged: number; problems: string[] } {
  const problems: string[] = [];
  const pos = positions(r);
  let acknowledged = 0;
  const seen = new Set<string>();
  for (const a of actions) {
    if (!a.sent || seen.has(a.key)) continue;
    const m = /^(\w+):r(\d+):(?:x(\d+)|t(\d+)):?/.exec(a.key) ?? /^(\w+):r(\d+):/.exec(a.key);
    if (!m) continue;
    const round = Number(m[2]);
    let acked = false;
    let stored = false;
    if (a.event === 'declare') {
      const value = a.data['value'];
      acked = frames.some((f) => {
        if (f.event !== 'phase_change' || f.data['round'] !== round) return false;
        const pd = isObj(f.data['phase_data']) ? f.data['phase_data'] : {};
        return isObj(pd['declarations']) && pd['declarations'][name] === value;
      });
      stored = pos.some((p) => p.event.type === 'declared' && p.event.seat === seat && p.round === round && p.event.value === value && !p.event.auto);
    } else if (a.event === 'play') {
      const turn = Number(/:t(\d+):/.exec(a.key)?.[1] ?? -1);
      acked = frames.some((f) => {
        if (f.event !== 'phase_change' || f.data['round'] !== round || f.data['phase'] !== 'turn') return false;
        const pd = isObj(f.data['phase_data']) ? f.data['phase_data'] : {};
        return pd['current_turn_number'] === turn && isObj(pd['turn_plays']) && name in pd['turn_plays'];
      });
      stored = pos.some((p) => p.event.type === 'pieces_played' && p.event.seat === seat && p.round === round && p.turn === turn);
    } else {
      const accept = a.event === 'accept_redeal';
      const multiplier = Number(/:x(\d+):/.exec(a.key)?.[1] ?? -1);
      acked = frames.some((f) => {
        if (f.event !== 'phase_change' || f.data['round'] !== round || f.data['phase'] !== 'preparation') return false;
        const pd = isObj(f.data['phase_data']) ? f.data['phase_data'] : {};
        return pd['redeal_multiplier'] === multiplier && isObj(pd['redeal_decisions']) && pd['redeal_decisions'][name] === accept;
      });
      stored = pos.some((p) => p.event.type === 'redeal_decided' && p.event.seat === seat && p.round === round && p.event.accept === accept && !p.event.auto);
    }
    if (!acked) continue;
    seen.add(a.key);
    acknowledged++;
    if (!stored) problems.push(`${name}: ${a.event} ${a.key} ${JSON.stringify(a.data)} was acknowledged by a broadcast but is not in the stream`);
  }
  return { acknowledged, problems };
}
