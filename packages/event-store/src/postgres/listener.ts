import type pg from 'pg';
import type { Logger } from '../logger.js';

/** Wake-ups from LISTEN on the store's per-schema channel. */
export interface AppendListener {
  add(listener: () => void): void;
  remove(listener: () => void): void;
  close(): Promise<void>;
}

/**
 * Holds one pool connection in LISTEN on `es_<md5(schema)>` (the channel the append trigger notifies).
 * When the connection fails, subscriptions keep working by polling; it reconnects on the next wake-up need.
 */
export function createPgListener(pool: pg.Pool, logger: Logger): AppendListener {
  const listeners = new Set<() => void>();
  let client: pg.PoolClient | null = null;
  let closed = false;
  let connecting: Promise<void> | null = null;

  const fire = () => {
    for (const l of listeners) l();
  };

  const connect = async (): Promise<void> => {
    const c = await pool.connect();
    let released = false;
    const release = (err?: Error) => {
      if (released) return;
      released = true;
      if (client === c) client = null;
      c.release(err ?? true);
    };
    c.on('error', (err) => {
      logger.warn({ err }, 'event-store LISTEN connection failed; subscriptions poll until it is back');
      release(err);
      scheduleReconnect();
    });
    try {
      const r = await c.query<{ channel: string }>(`select 'es_' || md5(current_schema()) as channel`);
      const channel = r.rows[0]!.channel;
      c.on('notification', (msg) => {
        if (msg.channel === channel) fire();
      });
      await c.query(`listen "${channel}"`);
    } catch (err) {
      release(err as Error);
      throw err;
    }
    if (closed) release();
    else client = c;
  };

  let retryTimer: NodeJS.Timeout | null = null;
  const scheduleReconnect = () => {
    if (closed || retryTimer || listeners.size === 0) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      ensure();
    }, 1000);
    retryTimer.unref();
  };

  const ensure = () => {
    if (closed || client || connecting) return;
    connecting = connect()
      .catch((err: unknown) => {
        logger.warn({ err }, 'event-store LISTEN unavailable; subscriptions poll');
        scheduleReconnect();
      })
      .finally(() => {
        connecting = null;
      });
  };

  return {
    add(listener) {
      listeners.add(listener);
      ensure();
    },
    remove(listener) {
      listeners.delete(listener);
    },
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      await connecting;
      const c = client;
      client = null;
      if (c) {
        await c.query('unlisten *').catch(() => undefined);
        c.release();
      }
    },
  };
}
