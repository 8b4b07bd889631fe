/** Small frame helpers shared by the crash, hostile, reconnect and seat-binding tests. */
import type { RoomActor } from '../../src/rooms/room-actor.js';
import { botLike } from '../strategies.js';
import { decide, describeFrames, type Decision, type FrontendSocket, type ServerFrame, type Violation } from '../support/index.js';

/** True for a `phase_change` whose screen asks `me` to act (declare, play or answer a redeal). */
export function isMoveFor(me: string, opts: { redeal?: boolean } = {}): (f: ServerFrame) => boolean {
  const match = (f: ServerFrame): boolean => {
    const m = moveFor(f, me);
    return m !== null && (opts.redeal !== false || m.event === 'declare' || m.event === 'play');
  };
  Object.defineProperty(match, 'name', { value: `move for ${me}` });
  return match;
}

/** The legal action `me` would take on this `phase_change` (bot-like choices), or null when it is not their move. */
export function moveFor(f: ServerFrame, me: string): Decision | null {
  if (f.event !== 'phase_change') return null;
  return decide(f.data, me, { redeal: 'decline', declare: botLike.declare!, play: botLike.play!, acceptedSoFar: 0 });
}

/**
 * Waits until it is `me`'s declaration or play on `socket` (frames from `since`); returns the frame and the
 * move. Redeal prompts are skipped: at time scale 0 their timeout fires at once, so they are never stable.
 */
export async function waitForMove(socket: FrontendSocket, me: string, since = 0, timeoutMs = 20_000): Promise<{ frame: ServerFrame; move: Decision }> {
  const frame = await socket.waitFor(isMoveFor(me, { redeal: false }), { since, timeoutMs });
  return { frame, move: moveFor(frame, me)! };
}

/**
 * Plays `me`'s moves on `socket` until the table waits for `me` in the declaration or turn phase: a stable
 * point where nobody else acts (humans have no move timeout). Returns the frame that asks for the move.
 */
export async function waitForOwnTurn(socket: FrontendSocket, me: string): Promise<{ frame: ServerFrame; move: Decision }> {
  for (let since = 0; ; since = socket.mark()) {
    const found = await waitForMove(socket, me, since);
    if (found.frame.data['phase'] === 'declaration' || found.frame.data['phase'] === 'turn') return found;
    socket.send(found.move.event, found.move.data);
  }
}

/** The room's durable position: version and applied-event count, after its mailbox drained. */
export async function settled(actor: RoomActor): Promise<{ version: number; seq: number; phase: string }> {
  await actor.whenIdle();
  return { version: actor.version, seq: actor.state.seq, phase: actor.state.phase };
}

/** The `error` frames on `socket` from index `since`. */
export function errorsSince(socket: FrontendSocket, since: number): ServerFrame[] {
  return socket.frames().slice(since).filter((f) => f.event === 'error');
}

/** Sends a frame and resolves with the first `error` frame after it. */
export async function expectError(socket: FrontendSocket, event: string, data: Record<string, unknown>, timeoutMs = 5_000): Promise<ServerFrame> {
  return socket.request(event, data, 'error', { timeoutMs });
}

/**
 * The socket's contract violations, except one a reconnect makes unavoidable: the socket's first
 * phase_change (its snapshot) shows a finished turn whose turn_complete was broadcast before the socket
 * existed, and the next frame is the next turn.
 */
export function contractViolations(s: FrontendSocket): Violation[] {
  const frames = s.frames();
  return s.violations().filter((v) => {
    if (v.rule !== 'order.turn_complete_missing') return true;
    const pcs = frames.slice(0, v.index).flatMap((f, i) => (f.event === 'phase_change' ? [i] : []));
    return pcs.length !== 1;
  });
}

/** The violations with the frames around each (for failure messages). */
export function explainViolations(s: FrontendSocket, vs: readonly Violation[]): string {
  return vs.map((v) => `${s.label} #${v.index} ${v.rule}: ${v.detail}\n${describeFrames(s.frames().slice(0, v.index + 1), 8)}`).join('\n');
}
