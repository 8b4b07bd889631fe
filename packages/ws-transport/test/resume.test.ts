import { describe, expect, it } from 'vitest';
import { RoomHistory } from '../src/resume.js';

describe('RoomHistory', () => {
  it('assigns monotonic offsets and replays what came after `since`', () => {
    const h = new RoomHistory(5);
    for (let i = 1; i <= 3; i++) expect(h.append(`m${i}`)).toBe(i);
    expect(h.since({ since: 1, epoch: h.epoch })).toEqual({ ok: true, messages: ['m2', 'm3'] });
    expect(h.since({ since: 3, epoch: h.epoch })).toEqual({ ok: true, messages: [] });
    expect(h.since({ since: 0, epoch: h.epoch })).toEqual({ ok: true, messages: ['m1', 'm2', 'm3'] });
  });

  it('answers too_old once the gap left the bounded history, ahead for offsets it never gave, epoch_changed after a reset', () => {
    const h = new RoomHistory(3);
    for (let i = 1; i <= 10; i++) h.append(i);
    expect(h.since({ since: 7, epoch: h.epoch })).toEqual({ ok: true, messages: [8, 9, 10] });
    expect(h.since({ since: 6, epoch: h.epoch })).toEqual({ ok: false, reason: 'too_old' });
    expect(h.since({ since: 11, epoch: h.epoch })).toEqual({ ok: false, reason: 'ahead' });
    expect(h.since({ since: -1, epoch: h.epoch })).toEqual({ ok: false, reason: 'too_old' });
    const old = h.epoch;
    h.reset();
    expect(h.epoch).not.toBe(old);
    expect(h.offset).toBe(0);
    expect(h.since({ since: 10, epoch: old })).toEqual({ ok: false, reason: 'epoch_changed' });
  });

  it('matches a reference model over random operation sequences', () => {
    let seed = 42;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let run = 0; run < 200; run++) {
      const cap = rnd(6);
      const h = new RoomHistory(cap);
      const all: number[] = [];
      for (let op = 0; op < 40; op++) {
        if (rnd(4) > 0) {
          all.push(h.append(all.length + 1));
          continue;
        }
        const since = rnd(all.length + 3) - 1;
        const r = h.since({ since, epoch: h.epoch });
        const kept = all.slice(Math.max(0, all.length - cap));
        if (since < 0) expect(r).toEqual({ ok: false, reason: 'too_old' });
        else if (since > all.length) expect(r).toEqual({ ok: false, reason: 'ahead' });
        else if (since === all.length) expect(r).toEqual({ ok: true, messages: [] });
        else if (since + 1 < (kept[0] ?? all.length + 1)) expect(r).toEqual({ ok: false, reason: 'too_old' });
        else expect(r).toEqual({ ok: true, messages: all.slice(since) });
      }
    }
  });
});
