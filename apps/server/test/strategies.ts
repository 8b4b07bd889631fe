/** Test strategies for scripted humans: play like the legacy bot, so games end in about a dozen rounds. */
import { legacyDeclare, legacyPlay, type PieceKind } from '@game/liap-tui';
import type { DeclareContext, PlayContext, ScriptedPlayerOptions } from './support/index.js';

const kinds = (hand: readonly { kind: string }[]) => hand.map((p) => p.kind as PieceKind);

/** Options that make a ScriptedPlayer declare and play with the legacy bot's logic. */
export const botLike: Pick<ScriptedPlayerOptions, 'declare' | 'play'> = {
  declare: (ctx: DeclareContext) =>
    legacyDeclare({
      hand: kinds(ctx.hand),
      position: ctx.isLast ? 3 : 0,
      earlier: ctx.isLast ? [ctx.earlierTotal] : [],
      mustBeNonzero: ctx.zeroStreak >= 2,
    }),
  play: (ctx: PlayContext) => legacyPlay(kinds(ctx.hand), ctx.required),
};
