/** Parses a Cookie header into name -> value (first occurrence wins; values URI-decoded when valid). */
export function parseCookies(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (header === '') return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (name === '' || Object.hasOwn(out, name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      out[name] = value;
    }
  }
  return out;
}

/** Options of a Set-Cookie header. */
export interface CookieOptions {
  maxAgeSeconds?: number;
  path?: string;
  domain?: string;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'Strict' | 'Lax' | 'None';
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Formats a Set-Cookie header value. Defaults: Path=/, HttpOnly, SameSite=Lax. */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (!TOKEN.test(name)) throw new TypeError(`invalid cookie name: ${JSON.stringify(name)}`);
  let out = `${name}=${encodeURIComponent(value)}`;
  if (options.maxAgeSeconds !== undefined) out += `; Max-Age=${Math.floor(options.maxAgeSeconds)}`;
  out += `; Path=${options.path ?? '/'}`;
  if (options.domain !== undefined) out += `; Domain=${options.domain}`;
  if (options.httpOnly ?? true) out += '; HttpOnly';
  if (options.secure === true) out += '; Secure';
  out += `; SameSite=${options.sameSite ?? 'Lax'}`;
  return out;
}
