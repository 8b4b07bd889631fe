import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  createRateLimiter,
  parseRateLimitConfigText,
  RateLimitConfigError,
  RateLimitStoreUnavailableError,
  RateLimitUnknownPolicyError,
  type BucketOutcome,
  type RateLimitStore,
} from '../src/index.js';
import { createManualClock } from '../src/testing/index.js';
import { recordingLogger } from './helpers.js';

const policy = { name: 'p', key: 'player' as const, capacity: 2, refill: { tokens: 1, intervalMs: 1000 } };

/** A store whose availability the test switches, in front of a real memory store. */
function switchableStore() {
  const inner = createMemoryStore();
  let down = false;
  const fail = () => {
    throw new Error('connection refused');
  };
  const store: RateLimitStore & { down: boolean } = {
    name: 'flaky',
    capabilities: { shared: true, remote: true },
    get down() {
      return down;
    },
    set down(v: boolean) {
      down = v;
    },
    take: async (op, b, now): Promise<BucketOutcome[]> => {
      await Promise.resolve();
      return down ? fail() : inner.take(op, b, now);
    },
    adjust: async (b, now) => {
      await Promise.resolve();
      return down ? fail() : inner.adjust(b, now);
    },
    delete: async (k) => {
      await Promise.resolve();
      if (down) fail();
      inner.delete(k);
    },
  };
  return store;
}

describe('configuration', () => {
  it('rejects invalid policies with every problem named, and keeps the old ones', () => {
    const rl = createRateLimiter({ policies: [policy] });
    let caught: unknown;
    try {
      rl.setPolicies([
        { name: 'bad', key: 'player', capacity: -1, refillPerSecond: 1 },
        { name: 'bad', key: 'player', capacity: 2, refillPerSecond: 1, refill: { tokens: 1, intervalMs: 1 } },
        { name: 'dear', key: 'player', capacity: 2, refillPerSecond: 1, costs: { play: 5 } },
      ]);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RateLimitConfigError);
    const e = caught as RateLimitConfigError;
    expect(e.code).toBe('RATE_LIMIT_CONFIG_INVALID');
    expect(e.issues.join('\n')).toMatch(/policies\[0\]\.capacity/);
    expect(e.issues.join('\n')).toMatch(/exactly one of refillPerSecond and refill/);
    expect(e.issues.join('\n')).toMatch(/policies\[1\]\.name: duplicate policy name "bad"/);
    expect(e.issues.join('\n')).toMatch(/policies\[2\]\.costs\.play: cost 5 exceeds capacity 2/);
    expect(rl.policies.map((p) => p.name)).toEqual(['p']);
  });

  it('reads a config file that starts with a byte-order mark (JSON and YAML)', () => {
    const json = '\uFEFF' + JSON.stringify({ policies: [{ name: 'bom', key: 'player', capacity: 3, refillPerSecond: 1 }] });
    expect(parseRateLimitConfigText(json, 'limits.json').policies[0]!.capacity).toBe(3);
    const yaml = '\uFEFFpolicies:\n  - { name: bom, key: player, capacity: 4, refillPerSecond: 1 }\n';
    expect(parseRateLimitConfigText(yaml, 'limits.yaml').policies[0]!.capacity).toBe(4);
  });

  it('rejects unknown key fields and unknown options', () => {
    expect(() => createRateLimiter({ policies: [{ ...policy, key: 'session' as never }] })).toThrow(
      /policies\[0\]\.key/,
    );
    expect(() => createRateLimiter({ policies: [{ ...policy, capacty: 3 } as never] })).toThrow(/capacty/);
  });

  it('keys by a function and by several fields', async () => {
    const clock = createManualClock();
    const rl = createRateLimiter({
      clock,
      policies: [
        {
          name: 'fn',
          key: (i) => (i.ip ? i.ip.split('.').slice(0, 3).join('.') : undefined),
          capacity: 1,
          refillPerSecond: 1,
        },
        { name: 'pair', key: ['player', 'room'], capacity: 5, refillPerSecond: 1 },
      ],
    });
    expect((await rl.consume({ ip: '10.0.0.1' })).allowed).toBe(true);
    // the same /24 shares the function's bucket
    expect((await rl.consume({ ip: '10.0.0.2' })).allowed).toBe(false);
    const r = await rl.consume({ ip: '10.0.1.1', player: 'a', room: 'R' });
    expect(r.policies.map((p) => p.key)).toEqual(['fn|10.0.1', 'pair|a|R']);
  });

  it('shadow mode for the whole limiter enforces nothing and logs once per interval', async () => {
    const clock = createManualClock();
    const logger = recordingLogger();
    const rl = createRateLimiter({
      policies: [policy],
      shadow: true,
      clock,
      logger,
      shadowLogIntervalMs: 10_000,
    });
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await rl.consume({ player: 'p' }));
    expect(results.every((r) => r.allowed)).toBe(true);
    expect(results.filter((r) => r.shadowLimited.length > 0)).toHaveLength(4);
    const shadowLines = logger.lines.filter((l) => l.msg?.includes('shadow mode'));
    expect(shadowLines).toHaveLength(1);
    clock.advance(10_000);
    await rl.consume({ player: 'p' });
    await rl.consume({ player: 'p' });
    await rl.consume({ player: 'p' });
    const again = logger.lines.filter((l) => l.msg?.includes('shadow mode'));
    expect(again).toHaveLength(2);
    expect(again[1]!.fields['suppressed']).toBe(3);
  });
});

describe('metrics', () => {
  it('counts allowed / limited by policy and key class, blocks and store transitions', async () => {
    const registry = new Registry();
    const clock = createManualClock();
    const store = switchableStore();
    const rl = createRateLimiter({
      policies: [{ ...policy, block: { afterViolations: 2, durationMs: 60_000 } }],
      clock,
      store,
      metrics: { registry },
      probeIntervalMs: 0,
    });
    for (let i = 0; i < 5; i++) await rl.consume({ player: 'p' });
    store.down = true;
    await rl.consume({ player: 'q' });
    await rl.consume({ player: 'q' });
    store.down = false;
    await rl.consume({ player: 'q' });
    const text = await registry.metrics();
    expect(text).toContain('rate_limit_decisions_total{policy="p",key_class="player",outcome="allowed"} 5');
    expect(text).toContain('rate_limit_decisions_total{policy="p",key_class="player",outcome="limited"} 2');
    expect(text).toContain('rate_limit_decisions_total{policy="p",key_class="player",outcome="blocked"} 1');
    expect(text).toContain('rate_limit_blocks_total{policy="p",key_class="player"} 1');
    expect(text).toContain('rate_limit_store_errors_total{store="flaky"} 2');
    expect(text).toContain('rate_limit_store_transitions_total{store="flaky",to="degraded"} 1');
    expect(text).toContain('rate_limit_store_transitions_total{store="flaky",to="healthy"} 1');
    expect(text).toContain('rate_limit_store_degraded{store="flaky"} 0');
  });

  it('takes a bare registry, or a prefix put in front of the names (the option shape of every @game package)', async () => {
    const bare = new Registry();
    await createRateLimiter({ policies: [policy], metrics: bare }).consume({ player: 'p' });
    expect(await bare.metrics()).toContain('rate_limit_decisions_total{policy="p",key_class="player",outcome="allowed"} 1');
    const prefixed = new Registry();
    await createRateLimiter({ policies: [policy], metrics: { registry: prefixed, prefix: 'game_' } }).consume({ player: 'p' });
    expect(await prefixed.metrics()).toContain('game_rate_limit_decisions_total{policy="p",key_class="player",outcome="allowed"} 1');
    expect(() => createRateLimiter({ metrics: { registry: {} as Registry } })).toThrow(RateLimitConfigError);
    expect(() => createRateLimiter({ metrics: null as unknown as Registry })).toThrow(RateLimitConfigError);
    expect(() => createRateLimiter({ metrics: { registry: new Registry(), prefix: 'a b' } })).toThrow(/is not the start of a Prometheus metric name/);
  });
});

describe('store failure policies', () => {
  it('fallbackToMemory: keeps limiting in memory, logs each transition once, recovers', async () => {
    const clock = createManualClock();
    const logger = recordingLogger();
    const store = switchableStore();
    const rl = createRateLimiter({ policies: [policy], clock, store, logger, probeIntervalMs: 1000 });
    store.down = true;
    const during = [];
    for (let i = 0; i < 4; i++) during.push(await rl.consume({ player: 'p' }));
    expect(during.map((r) => r.allowed)).toEqual([true, true, false, false]);
    expect(during.every((r) => r.degraded)).toBe(true);
    expect(during[2]!.status).toBe('limited');
    expect(rl.storeHealthy).toBe(false);
    expect(logger.lines.filter((l) => l.level === 'warn' && l.msg?.includes('failed'))).toHaveLength(1);
    store.down = false;
    // not probed before the interval: still degraded
    expect((await rl.consume({ player: 'r' })).degraded).toBe(true);
    clock.advance(1000);
    const back = await rl.consume({ player: 'p' });
    expect(back).toMatchObject({ allowed: true, degraded: false });
    expect(rl.storeHealthy).toBe(true);
    expect(logger.lines.filter((l) => l.msg?.includes('recovered'))).toHaveLength(1);
  });

  it('failOpen: lets requests through while the store is down', async () => {
    const store = switchableStore();
    const rl = createRateLimiter({ policies: [policy], store, onStoreFailure: 'failOpen' });
    store.down = true;
    for (let i = 0; i < 5; i++)
      expect(await rl.consume({ player: 'p' })).toMatchObject({ allowed: true, degraded: true });
  });

  it('failClosed: refuses with a distinct status and error, never "limited"', async () => {
    const store = switchableStore();
    const rl = createRateLimiter({ policies: [policy], store, onStoreFailure: 'failClosed' });
    store.down = true;
    const r = await rl.consume({ player: 'p' });
    expect(r.allowed).toBe(false);
    expect(r.status).toBe('unavailable');
    expect(r.error).toBeInstanceOf(RateLimitStoreUnavailableError);
    expect(r.error?.code).toBe('RATE_LIMIT_STORE_UNAVAILABLE');
    await expect(rl.penalize({ player: 'p' }, { tokens: 1 })).rejects.toBeInstanceOf(
      RateLimitStoreUnavailableError,
    );
  });

  it('failClosed refuses nothing that only shadow policies check (shadow mode never refuses)', async () => {
    const store = switchableStore();
    const shadowed = { ...policy, name: 'shadowed', shadow: true };
    const rl = createRateLimiter({ policies: [shadowed], store, onStoreFailure: 'failClosed' });
    const all = createRateLimiter({ policies: [policy], store, onStoreFailure: 'failClosed', shadow: true });
    const mixed = createRateLimiter({ policies: [policy, shadowed], store, onStoreFailure: 'failClosed' });
    store.down = true;
    expect(await rl.consume({ player: 'p' })).toMatchObject({ allowed: true, status: 'allowed', degraded: true, error: undefined });
    expect(await all.consume({ player: 'p' })).toMatchObject({ allowed: true, status: 'allowed', degraded: true });
    // An enforced policy that cannot be checked still refuses.
    expect(await mixed.consume({ player: 'p' })).toMatchObject({ allowed: false, status: 'unavailable' });
  });

  it('treats a store that never answers as failed after storeTimeoutMs', async () => {
    const hanging: RateLimitStore = {
      name: 'hang',
      capabilities: { shared: true, remote: true },
      take: () => new Promise<BucketOutcome[]>(() => undefined),
      adjust: () => new Promise<BucketOutcome>(() => undefined),
      delete: () => undefined,
    };
    const rl = createRateLimiter({
      policies: [policy],
      store: hanging,
      storeTimeoutMs: 20,
      onStoreFailure: 'failClosed',
    });
    const r = await rl.consume({ player: 'p' });
    expect(r.status).toBe('unavailable');
    expect(r.error?.cause).toMatchObject({ code: 'RATE_LIMIT_STORE_TIMEOUT' });
  });
});

describe('blocks and adjustments', () => {
  it('manual block and unblock per policy', async () => {
    const clock = createManualClock();
    const rl = createRateLimiter({ policies: [policy], clock });
    rl.block({ player: 'p' }, { durationMs: 5000 });
    expect(await rl.consume({ player: 'p' })).toMatchObject({ status: 'blocked', retryAfterMs: 5000 });
    rl.unblock({ player: 'p' });
    expect((await rl.consume({ player: 'p' })).allowed).toBe(true);
  });

  it('without a message type, block, reset, penalize and reward act on every policy the key applies to', async () => {
    const clock = createManualClock();
    const perType = [
      { name: 'moves', key: 'connection' as const, capacity: 3, refill: { tokens: 1, intervalMs: 1000 }, messageTypes: ['play'] },
      { name: 'rooms', key: 'connection' as const, capacity: 3, refill: { tokens: 1, intervalMs: 1000 }, messageTypes: ['create_room'] },
      { name: 'other', key: 'connection' as const, capacity: 3, refill: { tokens: 1, intervalMs: 1000 }, exceptMessageTypes: ['play', 'create_room'] },
    ];
    const rl = createRateLimiter({ policies: perType, clock });
    rl.block({ connection: 'c1' }, { durationMs: 5000 });
    for (const messageType of ['play', 'create_room', 'ping']) {
      expect(await rl.consume({ connection: 'c1', messageType }), messageType).toMatchObject({ status: 'blocked' });
      expect((await rl.consume({ connection: 'c2', messageType })).allowed, `${messageType} (another connection)`).toBe(true);
    }
    rl.unblock({ connection: 'c1' });
    await rl.penalize({ connection: 'c1' }, { tokens: 3 });
    expect(await rl.peek({ connection: 'c1', messageType: 'play' })).toMatchObject({ allowed: false, remaining: 0 });
    expect(await rl.peek({ connection: 'c1', messageType: 'create_room' })).toMatchObject({ remaining: 0 });
    await rl.reset({ connection: 'c1' });
    expect(await rl.peek({ connection: 'c1', messageType: 'create_room' })).toMatchObject({ remaining: 3 });
    // With a message type, only that type's policies.
    await rl.penalize({ connection: 'c1', messageType: 'play' }, { tokens: 3 });
    expect(await rl.peek({ connection: 'c1', messageType: 'play' })).toMatchObject({ remaining: 0 });
    expect(await rl.peek({ connection: 'c1', messageType: 'create_room' })).toMatchObject({ remaining: 3 });
  });

  it('refuses options Node would misread (a timer over 2^31 - 1 ms fires after 1 ms) or that mean nothing', () => {
    for (const bad of [{ storeTimeoutMs: 3e9 }, { probeIntervalMs: -1 }, { shadowLogIntervalMs: Number.NaN }, { storeTimeoutMs: '250' }, { onStoreFailure: 'failSilently' }]) {
      expect(() => createRateLimiter(bad as never), JSON.stringify(bad)).toThrow(RateLimitConfigError);
    }
    expect(() => createRateLimiter({ storeTimeoutMs: 3e9 })).toThrow(/storeTimeoutMs: must be a number of milliseconds from 0 to 2147483647, got 3000000000/);
    expect(() => createRateLimiter({ storeTimeoutMs: 0, probeIntervalMs: 2 ** 31 - 1 })).not.toThrow();
    const rl = createRateLimiter({ policies: [policy] });
    expect(() => rl.block({ player: 'p' }, { durationMs: Number.NaN })).toThrow(RangeError);
  });

  it('rejects adjustments naming a policy that is not in force', async () => {
    const rl = createRateLimiter({ policies: [policy] });
    await expect(rl.penalize({ player: 'x' }, { tokens: 1, policy: 'nope' })).rejects.toMatchObject({
      code: 'RATE_LIMIT_UNKNOWN_POLICY',
      policy: 'nope',
      known: ['p'],
    });
    expect(() => rl.block({ player: 'x' }, { durationMs: 1, policy: 'nope' })).toThrow(
      RateLimitUnknownPolicyError,
    );
  });

  it('rejects negative or non-finite token adjustments', async () => {
    const rl = createRateLimiter({ policies: [policy] });
    await expect(rl.penalize({ player: 'p' }, { tokens: -1 })).rejects.toThrow(RangeError);
    await expect(rl.reward({ player: 'p' }, { tokens: Number.NaN })).rejects.toThrow(RangeError);
  });

  it('passes everything when no policy applies', async () => {
    const rl = createRateLimiter({ policies: [{ ...policy, messageTypes: ['play'] }] });
    const r = await rl.consume({ player: 'p', messageType: 'chat' });
    expect(r).toMatchObject({ allowed: true, policy: undefined, policies: [] });
  });
});

describe('memory held for blocks', () => {
  it('forgets violations and blocks once they no longer matter', async () => {
    const clock = createManualClock();
    const rl = createRateLimiter({
      clock,
      policies: [{ ...policy, capacity: 1, block: { afterViolations: 3, withinMs: 1000, durationMs: 5000 } }],
    });
    // two violations, then the window passes: the count starts again
    await rl.consume({ player: 'p' });
    await rl.consume({ player: 'p' });
    await rl.consume({ player: 'p' });
    clock.advance(1000);
    await rl.consume({ player: 'p' });
    expect((await rl.consume({ player: 'p' })).status).toBe('limited');
    expect((await rl.consume({ player: 'p' })).status).toBe('limited');
    // a third violation within the window blocks
    expect((await rl.consume({ player: 'p' })).retryAfterMs).toBe(5000);
    expect((await rl.consume({ player: 'p' })).status).toBe('blocked');
  });
});
