import { createPgSchema, type PgSchema } from '@game/test-services';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCache, createDatabase, InvalidDatabaseConfigError } from '../src/index.js';

// `metrics` takes a registry, or { registry, prefix } with the prefix put in front of every name: the same
// option shape as @game/rate-limit and @game/health.
describe('the metrics option', () => {
  let schema: PgSchema;
  beforeAll(async () => {
    schema = await createPgSchema('metrics_option');
  });
  afterAll(async () => {
    await schema?.drop();
  });

  it('prefixes every SQLite metric name', async () => {
    const registry = new Registry();
    const db = await createDatabase({ url: 'sqlite::memory:', name: 'm', metrics: { registry, prefix: 'game_' } });
    try {
      await db.kysely.selectNoFrom((eb) => eb.val(1).as('x')).execute();
      const text = await registry.metrics();
      expect(text).toMatch(/^game_db_queries_total\{db="m",outcome="ok"\} 1$/m);
      expect(text).toMatch(/^game_db_query_duration_seconds_count\{db="m"\} 1$/m);
      expect(text).not.toMatch(/^db_/m);
    } finally {
      await db.close();
    }
  });

  it('prefixes every PostgreSQL metric name, and the pool gauges of two prefixes stay apart', async () => {
    const registry = new Registry();
    const a = await createDatabase({ url: schema.url, name: 'a', pool: { max: 2 }, metrics: { registry, prefix: 'game_' } });
    const b = await createDatabase({ url: schema.url, name: 'b', pool: { max: 2 }, metrics: registry });
    try {
      await a.ping();
      await b.ping();
      const text = await registry.metrics();
      expect(text).toMatch(/^game_db_queries_total\{db="a",outcome="ok"\} \d+$/m);
      expect(text).toMatch(/^game_db_pool_connections\{db="a",state="idle"\} \d+$/m);
      expect(text).toMatch(/^game_db_breaker_state\{db="a"\} 0$/m);
      expect(text).toMatch(/^db_pool_connections\{db="b",state="idle"\} \d+$/m);
      expect(text).not.toMatch(/^game_db_pool_connections\{db="b"/m);
      expect(text).not.toMatch(/^db_pool_connections\{db="a"/m);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('prefixes the cache counters', async () => {
    const registry = new Registry();
    const cache = createCache<number>({ name: 'c', metrics: { registry, prefix: 'game_' } });
    await cache.getOrLoad('k', async () => 1);
    expect(await registry.metrics()).toMatch(/^game_cache_requests_total\{cache="c",result="miss"\} 1$/m);
  });

  it('refuses something that is not a registry, before opening anything', async () => {
    await expect(createDatabase({ url: 'sqlite::memory:', metrics: { registry: {} as Registry } })).rejects.toThrow(InvalidDatabaseConfigError);
    await expect(createDatabase({ url: 'sqlite::memory:', metrics: null as unknown as Registry })).rejects.toThrow(InvalidDatabaseConfigError);
    // A prefix that cannot start a metric name: refused before the pool connects (nothing to leak).
    await expect(createDatabase({ url: schema.url, metrics: { registry: new Registry(), prefix: 'game-' } })).rejects.toThrow(/prefix "game-"/);
    expect(() => createCache({ name: 'c', metrics: { registry: {} as Registry } })).toThrow(/prom-client Registry/);
  });
});
