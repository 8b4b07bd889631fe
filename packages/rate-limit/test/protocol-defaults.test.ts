import { describe, expect, it } from 'vitest';
import {
  createProtocolDefaultPolicies,
  createRateLimiter,
  protocolDefaultPolicies,
  rateLimitCloseReason,
  rateLimitErrorFrame,
  rateLimitHeaders,
  rateLimitHttpBody,
} from '../src/index.js';
import { createManualClock } from '../src/testing/index.js';

async function burst(
  rl: ReturnType<typeof createRateLimiter>,
  messageType: string,
  connection = 'c1',
): Promise<number> {
  let n = 0;
  for (let i = 0; i < 1000; i++) {
    if (!(await rl.consume({ connection, messageType })).allowed) break;
    n++;
  }
  return n;
}

describe('the protocol §5 default table', () => {
  const expected: Record<string, number> = {
    ping: 120,
    ack: 200,
    sync_request: 10,
    request_room_list: 30,
    get_rooms: 30,
    create_room: 5,
    join_room: 10,
    get_room_state: 60,
    remove_player: 10,
    add_bot: 10,
    leave_room: 5,
    start_game: 3,
    declare: 6,
    play: 20,
    play_pieces: 20,
    request_redeal: 3,
    accept_redeal: 5,
    decline_redeal: 5,
    some_future_event: 60,
  };

  it('admits each event its burst per connection and per event', async () => {
    const rl = createRateLimiter({ policies: protocolDefaultPolicies, clock: createManualClock() });
    for (const [event, max] of Object.entries(expected))
      expect([event, await burst(rl, event)]).toEqual([event, max]);
    // another connection has its own budgets
    expect(await burst(rl, 'play', 'c2')).toBe(20);
  });

  it('gives all unlisted events one shared budget per connection, so random event names mint no buckets', async () => {
    const rl = createRateLimiter({ policies: protocolDefaultPolicies, clock: createManualClock() });
    let admitted = 0;
    for (let i = 0; i < 100; i++)
      if ((await rl.consume({ connection: 'c1', messageType: `junk_${i}` })).allowed) admitted++;
    expect(admitted).toBe(60);
    expect((await rl.consume({ connection: 'c1', messageType: 'play' })).allowed).toBe(true);
  });

  it('survives hostile event names from untrusted frames', async () => {
    const rl = createRateLimiter({ policies: protocolDefaultPolicies, clock: createManualClock() });
    const hostile = [42, { toString: 1 }, null, ['play'], 'a|b%c'] as unknown as string[];
    for (const messageType of hostile) {
      const r = await rl.consume({ connection: 'c1', messageType });
      expect(r).toMatchObject({ allowed: true, policy: 'ws.other' });
      expect(() => JSON.stringify(rateLimitErrorFrame(r))).not.toThrow();
    }
    expect((await rl.peek({ connection: 'c1', messageType: 'anything' })).remaining).toBe(
      60 - hostile.length,
    );
  });

  it('never refuses a fast human playing a 30-minute game (regression guard for "never hurt normal play")', async () => {
    const clock = createManualClock(0);
    const rl = createRateLimiter({ policies: protocolDefaultPolicies, clock });
    const events: [number, string][] = [];
    // lobby: list, create, three bots, start -- within five seconds
    events.push([0, 'client_ready'], [100, 'get_rooms'], [1_000, 'create_room'], [1_500, 'get_room_state']);
    events.push([2_000, 'add_bot'], [2_300, 'add_bot'], [2_600, 'add_bot'], [3_000, 'start_game']);
    // game: a round every 25 s (phase delays of the original: 2 + 4 + 5 + 7 s), a declaration and
    // up to 8 plays 1.5 s apart per round, a heartbeat every 30 s, a state sync now and then
    const end = 30 * 60_000;
    for (let t = 5_000, round = 0; t < end; t += 25_000, round++) {
      events.push([t, 'declare']);
      for (let k = 0; k < 8; k++) events.push([t + 2_000 + k * 1_500, 'play']);
      if (round % 4 === 0) events.push([t + 20_000, 'request_state_sync']);
    }
    for (let t = 30_000; t < end; t += 30_000) events.push([t, 'ping']);
    events.sort((a, b) => a[0] - b[0]);
    const refused: [number, string][] = [];
    for (const [at, messageType] of events) {
      clock.set(at);
      if (!(await rl.consume({ connection: 'alice-socket', messageType })).allowed)
        refused.push([at, messageType]);
    }
    expect(events.length).toBeGreaterThan(700);
    expect(refused).toEqual([]);
  });

  it('refills declare at 5 per minute (12 s per token) after its burst of 6', async () => {
    const clock = createManualClock();
    const rl = createRateLimiter({ policies: protocolDefaultPolicies, clock });
    expect(await burst(rl, 'declare')).toBe(6);
    expect((await rl.peek({ connection: 'c1', messageType: 'declare' })).retryAfterMs).toBe(12_000);
  });

  it('blocks create_room for 5 minutes after the first excess, and reports it as abuse', async () => {
    const clock = createManualClock();
    const rl = createRateLimiter({ policies: protocolDefaultPolicies, clock });
    expect(await burst(rl, 'create_room')).toBe(5);
    clock.advance(60_000);
    const blocked = await rl.consume({ connection: 'c1', messageType: 'create_room' });
    expect(blocked).toMatchObject({ status: 'blocked', retryAfterMs: 240_000 });
    expect(rateLimitCloseReason(blocked)).toEqual({
      code: 1008,
      reason: 'Rate limit exceeded. Retry after 240s',
    });
    // other events are not blocked
    expect((await rl.consume({ connection: 'c1', messageType: 'ping' })).allowed).toBe(true);
  });

  it('blocks a flood in memory after 10 refusals within 10 s, and only for that event', async () => {
    const clock = createManualClock();
    const rl = createRateLimiter({ policies: protocolDefaultPolicies, clock });
    const statuses: string[] = [];
    for (let i = 0; i < 135; i++)
      statuses.push((await rl.consume({ connection: 'c1', messageType: 'ping' })).status);
    expect(statuses.filter((s) => s === 'allowed')).toHaveLength(120);
    expect(statuses.filter((s) => s === 'limited')).toHaveLength(10);
    expect(statuses.slice(130)).toEqual(Array(5).fill('blocked'));
    expect((await rl.consume({ connection: 'c1', messageType: 'play' })).allowed).toBe(true);
    clock.advance(60_000);
    expect((await rl.consume({ connection: 'c1', messageType: 'ping' })).allowed).toBe(true);
    // opting out: refusals only
    const plain = createRateLimiter({
      policies: createProtocolDefaultPolicies({ floodBlock: false }),
      clock,
    });
    for (let i = 0; i < 200; i++) await plain.consume({ connection: 'c1', messageType: 'ping' });
    expect((await plain.consume({ connection: 'c1', messageType: 'ping' })).status).toBe('limited');
  });

  it('can key the table by player instead', async () => {
    const rl = createRateLimiter({
      policies: createProtocolDefaultPolicies({ key: 'player' }),
      clock: createManualClock(),
    });
    for (let i = 0; i < 3; i++)
      await rl.consume({ player: 'alice', connection: `c${i}`, messageType: 'start_game' });
    expect((await rl.consume({ player: 'alice', connection: 'c9', messageType: 'start_game' })).allowed).toBe(
      false,
    );
  });
});

describe('responses', () => {
  it('produces the protocol error frame with retry_after_ms', async () => {
    const rl = createRateLimiter({ policies: protocolDefaultPolicies, clock: createManualClock() });
    await burst(rl, 'play');
    const r = await rl.consume({ connection: 'c1', messageType: 'play' });
    expect(rateLimitErrorFrame(r)).toEqual({
      event: 'error',
      data: {
        code: 'RATE_LIMIT_EXCEEDED',
        message: 'Rate limit exceeded for event: play. Try again in 3 s',
        event_type: 'play',
        retry_after_ms: 3000,
        type: 'rate_limit',
      },
    });
    expect(rateLimitCloseReason(r)).toBeUndefined();
  });

  it('produces IETF RateLimit headers and Retry-After', async () => {
    const clock = createManualClock();
    const rl = createRateLimiter({
      clock,
      policies: [{ name: 'api', key: 'ip', capacity: 100, refill: { tokens: 100, intervalMs: 60_000 } }],
    });
    const ok = await rl.consume({ ip: '1.2.3.4' });
    expect(rateLimitHeaders(ok)).toEqual({
      'RateLimit-Policy': '"api";q=100;w=60',
      RateLimit: '"api";r=99;t=1',
    });
    for (let i = 0; i < 99; i++) await rl.consume({ ip: '1.2.3.4' });
    const denied = await rl.consume({ ip: '1.2.3.4' });
    expect(rateLimitHeaders(denied)).toEqual({
      'RateLimit-Policy': '"api";q=100;w=60',
      RateLimit: '"api";r=0;t=60',
      'Retry-After': '1',
    });
    expect(rateLimitHeaders(denied, { legacy: true, now: 1_000_000 })).toMatchObject({
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': String(1_000 + 60),
    });
    expect(rateLimitHttpBody(denied)).toEqual({ error: 'Rate limit exceeded', retry_after: 1 });
    expect(rateLimitHttpBody(ok)).toEqual({ error: 'Rate limit exceeded', retry_after: null });
  });
});
