import { describe, expect, it } from 'vitest';
import { createLogger, defaultRedactKeys, ObservabilityConfigError, withContext } from '../src/index.js';
import type { Logger } from '../src/index.js';
import { capture } from './helpers.js';

describe('createLogger', () => {
  it('writes one valid JSON object per line with the documented fields', () => {
    const { logger, raw } = capture({ name: 'server', base: { version: '1.2.3' } });
    logger.info({ roomId: 'ABCD' }, 'room created');
    expect(raw).toHaveLength(1);
    expect(raw[0]!.endsWith('\n')).toBe(true);
    expect(raw[0]!.trimEnd().includes('\n')).toBe(false);
    const line = JSON.parse(raw[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'info',
      name: 'server',
      msg: 'room created',
      roomId: 'ABCD',
      version: '1.2.3',
      pid: process.pid,
    });
    expect(typeof line['hostname']).toBe('string');
    expect(new Date(line['time'] as string).toISOString()).toBe(line['time']);
  });

  it('honours the configured level', () => {
    const { logger, lines } = capture({ level: 'warn' });
    logger.info('dropped');
    logger.debug('dropped');
    logger.warn('kept');
    logger.error('kept too');
    expect(lines().map((l) => l['level'])).toEqual(['warn', 'error']);
  });

  it('rejects an unknown level with a config error naming the option', () => {
    expect(() => createLogger({ level: 'verbose' })).toThrow(ObservabilityConfigError);
    try {
      createLogger({ level: 'verbose' });
    } catch (err) {
      expect((err as ObservabilityConfigError).code).toBe('OBSERVABILITY_CONFIG');
      expect((err as ObservabilityConfigError).option).toBe('level');
    }
  });

  it('child loggers add their bindings and keep the parent level', () => {
    const { logger, lines } = capture({ level: 'info' });
    const child = logger.child({ roomId: 'R1' }).child({ seat: 2 });
    child.debug('dropped');
    child.info('hello');
    expect(lines()).toEqual([expect.objectContaining({ roomId: 'R1', seat: 2, msg: 'hello' })]);
  });

  it('serializes errors with type, message and stack', () => {
    const { logger, lines } = capture();
    logger.error({ err: new TypeError('boom') }, 'failed');
    const err = lines()[0]!['err'] as Record<string, unknown>;
    expect(err['type']).toBe('TypeError');
    expect(err['message']).toBe('boom');
    expect(String(err['stack'])).toContain('TypeError: boom');
  });

  it('is assignable to the Logger interface every package accepts', () => {
    const { logger, lines } = capture();
    const asPort: Logger = logger;
    asPort.child({ a: 1 }).warn({ b: 2 }, 'via port');
    expect(lines()[0]).toMatchObject({ a: 1, b: 2, msg: 'via port', level: 'warn' });
  });
});

describe('redaction', () => {
  it('redacts secrets at the top level and in nested objects', () => {
    const { logger, raw, lines } = capture();
    logger.info(
      {
        password: 'p0',
        user: { name: 'ann', password: 'p1', email: 'ann@example.com' },
        req: { headers: { authorization: 'Bearer abc', cookie: 'sid=1', 'set-cookie': 's=2', host: 'h' } },
        a: { b: { c: { token: 't3', apiKey: 'k3' } } },
      },
      'login',
    );
    const text = raw.join('');
    for (const secret of ['p0', 'p1', 'ann@example.com', 'Bearer abc', 'sid=1', 's=2', 't3', 'k3']) {
      expect(text).not.toContain(secret);
    }
    const line = lines()[0]!;
    expect(line['user']).toEqual({ name: 'ann', password: '[REDACTED]', email: '[REDACTED]' });
    expect((line['req'] as { headers: Record<string, unknown> }).headers['host']).toBe('h');
  });

  it('redacts child bindings and context fields too', () => {
    const { logger, raw } = capture();
    withContext({ correlationId: 'c1', token: 'ctx-secret' }, () => {
      logger.child({ session: { cookie: 'child-secret' } }).info('x');
      logger.child({ a: 1 }).child({ deeper: { token: 'grandchild-secret' } }).info('y');
    });
    expect(raw.join('')).not.toContain('ctx-secret');
    expect(raw.join('')).not.toContain('child-secret');
    expect(raw.join('')).not.toContain('grandchild-secret');
    expect(raw.join('')).toContain('c1');
  });

  it('supports configured paths, extra keys and a censor', () => {
    const { logger, lines } = capture({
      redact: { paths: ['game.seatSecret', 'players[*].ip'], extraKeys: ['sessionToken'], censor: '***' },
    });
    logger.info({
      game: { seatSecret: 's', seat: 1 },
      players: [{ ip: '1.2.3.4', name: 'a' }],
      deep: { x: { sessionToken: 'q' } },
    });
    const line = lines()[0]!;
    expect(line['game']).toEqual({ seatSecret: '***', seat: 1 });
    expect(line['players']).toEqual([{ ip: '***', name: 'a' }]);
    expect(line['deep']).toEqual({ x: { sessionToken: '***' } });
  });

  it('redacts properties of errors and class instances (pino serializes them after the formatter), keeps the error\'s type, message and stack', () => {
    const { logger, raw, lines } = capture();
    class HttpError extends Error {
      config = { headers: { authorization: 'Bearer err-secret', accept: 'json' } };
      token = 'err-token';
    }
    const err = new HttpError('request failed', { cause: Object.assign(new Error('inner'), { password: 'cause-secret' }) });
    logger.error({ err }, 'call failed');
    logger.error(err);
    class Request {
      headers = { cookie: 'instance-secret', host: 'h' };
    }
    logger.info({ req: new Request(), when: new Date(0) }, 'instance');
    const text = raw.join('');
    for (const secret of ['err-secret', 'err-token', 'cause-secret', 'instance-secret']) expect(text).not.toContain(secret);
    const [first, second, third] = lines();
    for (const line of [first!, second!]) {
      expect(line['err']).toMatchObject({ type: 'HttpError', message: expect.stringContaining('request failed') as unknown, token: '[REDACTED]' });
      expect(String((line['err'] as { stack: string }).stack)).toContain('request failed');
      expect((line['err'] as { config: unknown }).config).toEqual({ headers: { authorization: '[REDACTED]', accept: 'json' } });
    }
    expect(third!['req']).toEqual({ headers: { cookie: '[REDACTED]', host: 'h' } });
    expect(third!['when']).toBe(new Date(0).toISOString());
    // The caller's error is untouched.
    expect(err.token).toBe('err-token');
    expect(err).toBeInstanceOf(HttpError);
  });

  it('copes with errors whose class has getters (DOMException) and keeps inner errors of an AggregateError', () => {
    const { logger, raw, lines } = capture();
    const dom = Object.assign(new DOMException('aborted', 'AbortError'), { token: 'dom-secret' });
    expect(() => logger.warn({ err: dom }, 'dom')).not.toThrow();
    const agg = Object.assign(new AggregateError([new Error('a'), new Error('b')], 'all failed'), { token: 'agg-secret' });
    logger.error({ err: agg }, 'agg');
    logger.info({ frame: new Uint8Array([1, 2, 3]) }, 'bytes');
    expect(raw.join('')).not.toContain('dom-secret');
    expect(raw.join('')).not.toContain('agg-secret');
    const [d, a, b] = lines();
    expect(d!['err']).toMatchObject({ type: 'DOMException', message: 'aborted', token: '[REDACTED]' });
    expect(a!['err']).toMatchObject({ type: 'AggregateError', message: 'all failed', token: '[REDACTED]' });
    expect((a!['err'] as { aggregateErrors: unknown[] }).aggregateErrors).toHaveLength(2);
    expect(b!['frame']).toEqual({ 0: 1, 1: 2, 2: 3 });
  });

  it('never throws on a cycle (arrays too: pino writes [Circular]) nor on a throwing getter ([Unreadable])', () => {
    const { logger, lines } = capture();
    const list: unknown[] = [];
    list.push(list);
    const obj: Record<string, unknown> = { name: 'x' };
    obj['self'] = obj;
    expect(() => logger.info({ list, obj, user: { get email(): string { throw new Error('boom'); } } })).not.toThrow();
    const line = lines()[0]!;
    expect(line['list']).toEqual(['[Circular]']);
    expect((line['obj'] as Record<string, unknown>)['self']).toBe('[Circular]');
    expect(line['user']).toEqual({ email: '[Unreadable]' });
  });

  it('searches keys to the configured depth and no deeper', () => {
    const { logger, lines } = capture({ redact: { depth: 1 } });
    logger.info({ a: { password: 'one' }, b: { c: { password: 'two' } } });
    const line = lines()[0]!;
    expect(line['a']).toEqual({ password: '[REDACTED]' });
    expect(line['b']).toEqual({ c: { password: 'two' } });
  });

  it('matches keys case-insensitively, inside arrays, and validates options', () => {
    const { logger, lines } = capture();
    logger.info({ headers: { Authorization: 'x', COOKIE: 'y' }, players: [{ name: 'a', Password: 'z' }] });
    const line = lines()[0]!;
    expect(line['headers']).toEqual({ Authorization: '[REDACTED]', COOKIE: '[REDACTED]' });
    expect(line['players']).toEqual([{ name: 'a', Password: '[REDACTED]' }]);
    expect(defaultRedactKeys).toContain('authorization');
    expect(() => createLogger({ redact: { depth: -1 } })).toThrow(/redact.depth/);
    expect(() => createLogger({ redact: { extraKeys: [''] } })).toThrow(/redact.keys/);
  });

  it('leaves errors, dates and buffers to the serializers', () => {
    const { logger, lines } = capture();
    const when = new Date(0);
    logger.info({ when, err: new Error('x'), nested: { when } });
    const line = lines()[0]!;
    expect(line['when']).toBe(when.toISOString());
    expect((line['err'] as { message: string }).message).toBe('x');
  });

  it('never writes a secret key placed at any level up to the depth (generated shapes)', () => {
    const { logger, raw } = capture();
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let i = 0; i < 300; i++) {
      const secret = `s3cr3t-${i}`;
      const key = defaultRedactKeys[rand(defaultRedactKeys.length)]!;
      const depth = rand(5); // 0..4 levels below the top
      let obj: Record<string, unknown> = { [key]: secret, keep: i };
      for (let d = 0; d < depth; d++) obj = rand(3) === 0 ? { list: [obj] } : { [`k${rand(3)}`]: obj, other: d };
      logger.info(obj);
    }
    const text = raw.join('');
    expect(text).not.toMatch(/s3cr3t-/);
    expect(raw).toHaveLength(300);
  });

  it('does not change the logged object', () => {
    const { logger } = capture();
    const obj = { user: { password: 'kept-in-memory' }, list: [{ token: 't' }] };
    logger.info(obj);
    withContext({ correlationId: 'c' }, () => logger.info(obj));
    expect(obj).toEqual({ user: { password: 'kept-in-memory' }, list: [{ token: 't' }] });
  });
});
