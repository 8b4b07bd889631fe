import { createPgSchema, type PgSchema } from '@game/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, tempSqlite, type TestServer } from './harness.js';
import { botLike } from './strategies.js';
import { Browser, ScriptedPlayer, findForeignHands, playUntilGameOver, startGame } from './support/index.js';

type Backend = { name: string; url: () => Promise<{ url: string; cleanup: () => Promise<void> }> };
const backends: Backend[] = [
  { name: 'sqlite', url: tempSqlite },
  {
    name: 'postgres',
    url: async () => {
      const s: PgSchema = await createPgSchema('server');
      return { url: s.url, cleanup: () => s.drop() };
    },
  },
];

for (const backend of backends) {
  describe(`complete games over the wire (${backend.name})`, () => {
    let t: TestServer;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      const db = await backend.url();
      cleanup = db.cleanup;
      t = await startTestServer({ DATABASE_URL: db.url });
    });
    afterAll(async () => {
      await t?.stop();
      await cleanup?.();
    });

    it('one human and three bots play from the lobby to game over', { timeout: 120_000 }, async () => {
      const alice = new Browser('alice');
      const entry = await alice.createRoom(t.baseUrl, 'Alice');
      expect(entry.roomId).toMatch(/^[A-Z0-9]{6}$/);
      expect(alice.cookies()['liap_sid']).toBeTruthy();
      await startGame(entry.socket);
      const player = new ScriptedPlayer(entry.socket, { redeal: 'accept', ...botLike });
      const [over] = await playUntilGameOver([player], { timeoutMs: 100_000 });
      const data = over!.data as { phase: string; phase_data: { final_rankings: Array<{ name: string; score: number }>; winners: string[] } };
      expect(data.phase).toBe('game_over');
      expect(data.phase_data.final_rankings).toHaveLength(4);
      expect(Math.max(...data.phase_data.final_rankings.map((r) => r.score))).toBeGreaterThanOrEqual(50);
      expect(player.violations()).toEqual([]);
      expect(findForeignHands(entry.socket.frames(), 'Alice')).toEqual([]);
      await alice.closeAll();
    });

    it('two humans (second joins by replacing a bot) finish a game; neither ever sees the other hand', { timeout: 120_000 }, async () => {
      const alice = new Browser('alice');
      const bob = new Browser('bob');
      const a = await alice.createRoom(t.baseUrl, 'Alice');
      const b = await bob.joinRoom(t.baseUrl, a.roomId, 'Bob');
      expect((b.roomUpdate.data['players'] as Array<{ name: string } | null>).map((p) => p?.name)).toContain('Bob');
      await startGame(a.socket);
      const players = [new ScriptedPlayer(a.socket, { redeal: 'accept', ...botLike }), new ScriptedPlayer(b.socket, { redeal: 'decline', ...botLike })];
      await playUntilGameOver(players, { timeoutMs: 100_000 });
      for (const p of players) expect(p.violations()).toEqual([]);
      expect(findForeignHands(a.socket.frames(), 'Alice')).toEqual([]);
      expect(findForeignHands(b.socket.frames(), 'Bob')).toEqual([]);
      await alice.closeAll();
      await bob.closeAll();
    });
  });
}
