import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { HttpContextImpl } from './context.js';
import { shouldGzip } from './context.js';

const gzip = promisify(gzipCb);

/** Options of the static file handler. */
export interface StaticFilesOptions {
  /** The directory to serve. */
  root: string;
  /** File served for unknown paths that look like app routes (no extension); `false` for none. Default `'index.html'`. */
  spaFallback?: string | false;
  /** Path prefixes never answered by the static handler or the SPA fallback (404 JSON instead), matched on the raw, decoded and normalised path. Default `['/api/', '/ws']`. */
  exclude?: readonly string[];
  /** Cache-Control per file (path relative to root). Default: `no-cache` for HTML, a year `immutable` for hashed names, an hour otherwise. */
  cacheControl?: (relativePath: string) => string;
  /** Bytes of file content kept in memory (with gzip variants). Default 32 MiB. */
  maxCacheBytes?: number;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.wav': 'audio/wav',
};

/** The content type of a file name. */
export function contentTypeOf(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

const HASHED = /[.-][0-9a-zA-Z_-]{8,}\.(js|mjs|css|woff2?|png|jpe?g|svg|webp|gif|ico|wasm)$/;

/** The default Cache-Control policy. */
export function defaultCacheControl(relativePath: string): string {
  if (relativePath.endsWith('.html') || relativePath.endsWith('.htm')) return 'no-cache';
  if (HASHED.test(relativePath)) return 'public, max-age=31536000, immutable';
  return 'public, max-age=3600';
}

interface CachedFile {
  mtimeMs: number;
  size: number;
  etag: string;
  type: string;
  body: Buffer;
  gz: Buffer | null | undefined;
  /** Kept in the cache (and counted in its bytes); a file too big for it is read per request. */
  cached: boolean;
}

/** The URL path percent-decoded; undefined when it is not valid percent-encoding. */
function decodePath(urlPath: string): string | undefined {
  try {
    return decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
}

/** Internal: serves GET/HEAD from a directory with ETag/304, Cache-Control, gzip and an SPA fallback. */
export class StaticFiles {
  private readonly root: string;
  private readonly cache = new Map<string, CachedFile>();
  private cachedBytes = 0;
  private readonly exclude: readonly string[];
  private readonly cacheControl: (rel: string) => string;
  private readonly maxCacheBytes: number;

  constructor(
    private readonly options: StaticFilesOptions,
    private readonly gzipMinBytes: number,
  ) {
    this.root = path.resolve(options.root);
    this.exclude = options.exclude ?? ['/api/', '/ws'];
    this.cacheControl = options.cacheControl ?? defaultCacheControl;
    this.maxCacheBytes = options.maxCacheBytes ?? 32 * 1024 * 1024;
  }

  /** Whether this path is excluded from static serving (the app's own 404 applies). */
  excluded(urlPath: string): boolean {
    return this.exclude.some((p) => {
      const bare = p.endsWith('/') ? p.slice(0, -1) : p;
      return urlPath === bare || urlPath.startsWith(`${bare}/`);
    });
  }

  /** Answers the request; returns false when nothing matched (caller sends 404). */
  async serve(ctx: HttpContextImpl): Promise<boolean> {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return false;
    const decoded = decodePath(ctx.path);
    // Excluded prefixes hold however they are spelt (`/%61pi/` is `/api/`, and so are `//api/` and `/x/../api/`).
    if (decoded === undefined || this.excluded(ctx.path) || this.excluded(decoded) || this.excluded(path.posix.normalize(decoded))) return false;
    const rel = this.resolve(decoded);
    if (rel === undefined) return false;
    let file = await this.load(rel);
    let relServed = rel;
    if (file === undefined) {
      const fallback = this.options.spaFallback ?? 'index.html';
      if (fallback === false || path.extname(ctx.path) !== '') return false;
      file = await this.load(fallback);
      relServed = fallback;
      if (file === undefined) return false;
    }
    if (ctx.aborted) return true;
    ctx.header('etag', file.etag).header('cache-control', this.cacheControl(relServed));
    const inm = ctx.headers['if-none-match'];
    if (inm !== undefined && inm.split(',').some((t) => t.trim() === file.etag || t.trim() === `W/${file.etag}`)) {
      ctx.empty(304);
      return true;
    }
    let body = file.body;
    let encoding: string | undefined;
    if (shouldGzip(ctx.headers['accept-encoding'], file.type, file.size, this.gzipMinBytes)) {
      if (file.gz === undefined) {
        const gz = await gzip(file.body);
        file.gz = gz.byteLength < file.size * 0.9 ? gz : null;
        if (file.gz && file.cached) this.cachedBytes += file.gz.byteLength;
      }
      if (file.gz) {
        body = file.gz;
        encoding = 'gzip';
      }
    }
    ctx.sendPrepared(200, body, file.type, encoding);
    return true;
  }

  /** The file a decoded URL path names, relative to the root; undefined outside it or for hidden names. */
  private resolve(decoded: string): string | undefined {
    if (decoded.includes('\0')) return undefined;
    if (decoded.endsWith('/')) decoded += 'index.html';
    const abs = path.resolve(this.root, `.${path.posix.normalize(decoded)}`);
    if (abs !== this.root && !abs.startsWith(this.root + path.sep)) return undefined;
    const rel = path.relative(this.root, abs);
    // Dotfiles and dot-directories (.env, .git) are never served; .well-known is the one public dot-name.
    if (rel.split(path.sep).some((part) => part.startsWith('.') && part !== '.well-known')) return undefined;
    return rel;
  }

  /**
   * Whether a file's real path (links resolved) lies under the root's: a link may not lead out of it. The
   * root is resolved each time (only files not yet cached get here): a deploy may re-point a linked root.
   */
  private async inside(abs: string): Promise<boolean> {
    const [root, real] = await Promise.all([realpath(this.root).catch(() => this.root), realpath(abs).catch(() => undefined)]);
    return real !== undefined && (real === root || real.startsWith(root + path.sep));
  }

  private async load(rel: string): Promise<CachedFile | undefined> {
    const abs = path.join(this.root, rel);
    let st;
    try {
      st = await stat(abs);
    } catch {
      return undefined;
    }
    if (!st.isFile()) return undefined;
    const hit = this.cache.get(abs);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit;
    if (!(await this.inside(abs))) return undefined;
    let body: Buffer;
    try {
      body = await readFile(abs);
    } catch {
      return undefined;
    }
    const file: CachedFile = {
      mtimeMs: st.mtimeMs,
      size: body.byteLength,
      etag: `"${body.byteLength.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`,
      type: contentTypeOf(abs),
      body,
      gz: undefined,
      cached: false,
    };
    if (hit) {
      this.cachedBytes -= hit.body.byteLength + (hit.gz?.byteLength ?? 0);
      this.cache.delete(abs);
    }
    if (this.cachedBytes + body.byteLength * 2 <= this.maxCacheBytes) {
      this.cache.set(abs, file);
      file.cached = true;
      this.cachedBytes += body.byteLength;
    }
    return file;
  }
}
