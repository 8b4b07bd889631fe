import { describe, expect, it } from 'vitest';
import { parseCookies, serializeCookie } from '../src/index.js';

describe('cookies', () => {
  it('parses a Cookie header: first occurrence wins, quotes and URI escapes removed, junk ignored', () => {
    expect(parseCookies('a=1; b="two"; c=x%20y; a=3; junk; =v; d=%E0%A4%A')).toEqual({ a: '1', b: 'two', c: 'x y', d: '%E0%A4%A' });
    expect(parseCookies('')).toEqual({});
  });

  it('serialises Set-Cookie with safe defaults and round-trips the value', () => {
    const header = serializeCookie('sid', 'a b;c', { maxAgeSeconds: 60, secure: true, sameSite: 'Strict' });
    expect(header).toBe('sid=a%20b%3Bc; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Strict');
    expect(parseCookies(header.split(';')[0]!)).toEqual({ sid: 'a b;c' });
    expect(() => serializeCookie('bad name', 'x')).toThrow(/cookie name/);
  });
});
