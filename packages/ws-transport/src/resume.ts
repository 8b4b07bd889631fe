import { randomBytes } from 'node:crypto';

/** Where a reliable room message sits in its room's history. */
export interface RoomPosition {
  readonly room: string;
  /** Monotonic per room, starting at 1. */
  readonly offset: number;
  /** Changes whenever the history restarts (new process, `resetRoom`); offsets of another epoch mean nothing. */
  readonly epoch: string;
}

/** A client's resume request: the last offset it saw in `room` under `epoch`. */
export interface ResumeRequest {
  readonly room: string;
  readonly since: number;
  readonly epoch: string;
}

/**
 * The answer to a resume request. When not recovered, the app must send a snapshot; `closed`: the socket is
 * closed (the replay closed it as a slow consumer, or it was closed before), it joined nothing.
 */
export type ResumeResult =
  | { readonly recovered: true; readonly replayed: number; readonly epoch: string; readonly offset: number }
  | {
      readonly recovered: false;
      readonly reason: 'unknown_room' | 'epoch_changed' | 'too_old' | 'ahead' | 'closed';
      readonly epoch: string | undefined;
      readonly offset: number;
    };

interface Entry {
  offset: number;
  message: unknown;
}

/** A bounded ring of one room's reliable messages with offsets and an epoch. */
export class RoomHistory {
  epoch: string = randomBytes(6).toString('hex');
  offset = 0;
  private readonly ring: (Entry | undefined)[];
  private start = 0;
  private length = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array<Entry | undefined>(capacity);
  }

  /** Takes the next offset and remembers the message under it. */
  append(message: unknown): number {
    const offset = ++this.offset;
    if (this.capacity === 0) return offset;
    const entry = { offset, message };
    if (this.length < this.capacity) {
      this.ring[(this.start + this.length) % this.capacity] = entry;
      this.length++;
    } else {
      this.ring[this.start] = entry;
      this.start = (this.start + 1) % this.capacity;
    }
    return offset;
  }

  /** Forgets everything and starts a new epoch. */
  reset(): void {
    this.epoch = randomBytes(6).toString('hex');
    this.offset = 0;
    this.ring.fill(undefined);
    this.start = 0;
    this.length = 0;
  }

  /** The messages after `since`, or why they cannot be given. */
  since(request: Omit<ResumeRequest, 'room'>): { ok: true; messages: unknown[] } | { ok: false; reason: 'epoch_changed' | 'too_old' | 'ahead' } {
    if (request.epoch !== this.epoch) return { ok: false, reason: 'epoch_changed' };
    if (!Number.isInteger(request.since) || request.since < 0) return { ok: false, reason: 'too_old' };
    if (request.since > this.offset) return { ok: false, reason: 'ahead' };
    if (request.since === this.offset) return { ok: true, messages: [] };
    const oldest = this.length === 0 ? this.offset + 1 : this.ring[this.start]!.offset;
    if (request.since + 1 < oldest) return { ok: false, reason: 'too_old' };
    const messages: unknown[] = [];
    for (let i = 0; i < this.length; i++) {
      const e = this.ring[(this.start + i) % this.capacity]!;
      if (e.offset > request.since) messages.push(e.message);
    }
    return { ok: true, messages };
  }
}
