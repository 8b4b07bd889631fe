/**
 * Frame order under load: many tables at once at time scale 0 (the next turn's timer fires right after the
 * turn_complete broadcast), their humans refreshing the page now and then (1001 + reconnect: a bot plays the
 * seat meanwhile). Every socket must see turn_complete before the next turn's phase_change.
 */
import { describe, expect, it } from 'vitest';
import { contractViolations, explainViolations } from './crash/moves.js';
import { useSqliteServer } from './harness.js';
import { botLike } from './strategies.js';
import { Browser, ScriptedPlayer, playUntilGameOver, startGame } from './support/index.js';

const TABLES = 8;

describe('frame order with many live tables', () => {
  const srv = useSqliteServer();

  it(`${TABLES} tables play at once; every socket sees turn_complete before the next turn`, { timeout: 120_000 }, async () => {
    const browsers = Array.from({ length: TABLES }, (_, i) => new Browser(`b${i}`));
    const entries = await Promise.all(browsers.map((b, i) => b.createRoom(srv.t.baseUrl, `P${i}`, { pingIntervalMs: 0 })));
    await Promise.all(entries.map((e) => startGame(e.socket)));
    let n = 0;
    const players = entries.map(
      (e) =>
        new ScriptedPlayer(e.socket, {
          redeal: 'accept',
          ...botLike,
          baseUrl: srv.t.baseUrl,
          connectOptions: { pingIntervalMs: 0 },
          // Every 5th action of the run: refresh the page right after acting.
          onAction: async (_d, p) => {
            if (++n % 5 !== 0) return;
            await p.socket.close(1001, 'Page reload');
            await p.reconnect();
          },
        }),
    );
    await playUntilGameOver(players, { timeoutMs: 110_000 });
    for (const s of browsers.flatMap((b) => b.sockets())) {
      const vs = contractViolations(s);
      expect(vs, explainViolations(s, vs)).toEqual([]);
    }
    expect(players.reduce((sum, p) => sum + p.actions().length, 0)).toBeGreaterThan(TABLES * 10);
    await Promise.all(browsers.map((b) => b.closeAll()));
  });
});
