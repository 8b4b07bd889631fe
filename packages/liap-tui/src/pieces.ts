/** Piece kinds, points and the 32-piece deck (game-rules §1). */

/** A piece kind `<NAME>_<COLOR>`, e.g. `GENERAL_RED`. */
export type PieceKind =
  | 'GENERAL_RED'
  | 'GENERAL_BLACK'
  | 'ADVISOR_RED'
  | 'ADVISOR_BLACK'
  | 'ELEPHANT_RED'
  | 'ELEPHANT_BLACK'
  | 'CHARIOT_RED'
  | 'CHARIOT_BLACK'
  | 'HORSE_RED'
  | 'HORSE_BLACK'
  | 'CANNON_RED'
  | 'CANNON_BLACK'
  | 'SOLDIER_RED'
  | 'SOLDIER_BLACK';

/** Piece name (the part of the kind before `_`). */
export type PieceName = 'GENERAL' | 'ADVISOR' | 'ELEPHANT' | 'CHARIOT' | 'HORSE' | 'CANNON' | 'SOLDIER';

/** Piece colour (the part of the kind after `_`). */
export type PieceColor = 'RED' | 'BLACK';

/** Every kind with its points and copies, in the unshuffled deck order of §1.1. */
export const PIECE_TABLE: readonly { readonly kind: PieceKind; readonly points: number; readonly copies: number }[] = [
  { kind: 'GENERAL_RED', points: 14, copies: 1 },
  { kind: 'GENERAL_BLACK', points: 13, copies: 1 },
  { kind: 'ADVISOR_RED', points: 12, copies: 2 },
  { kind: 'ADVISOR_BLACK', points: 11, copies: 2 },
  { kind: 'ELEPHANT_RED', points: 10, copies: 2 },
  { kind: 'ELEPHANT_BLACK', points: 9, copies: 2 },
  { kind: 'CHARIOT_RED', points: 8, copies: 2 },
  { kind: 'CHARIOT_BLACK', points: 7, copies: 2 },
  { kind: 'HORSE_RED', points: 6, copies: 2 },
  { kind: 'HORSE_BLACK', points: 5, copies: 2 },
  { kind: 'CANNON_RED', points: 4, copies: 2 },
  { kind: 'CANNON_BLACK', points: 3, copies: 2 },
  { kind: 'SOLDIER_RED', points: 2, copies: 5 },
  { kind: 'SOLDIER_BLACK', points: 1, copies: 5 },
];

const POINTS: Record<string, number> = Object.fromEntries(PIECE_TABLE.map((p) => [p.kind, p.points]));

/**
 * The first letter and the length of a kind tell the 14 kinds apart (the four C kinds differ in length:
 * CHARIOT_RED 11, CHARIOT_BLACK 13, CANNON_RED 10, CANNON_BLACK 12). Index (letter - 'A') * 16 + length.
 */
const SIGNATURES = 26 * 16;
const INDEX_BY_SIGNATURE = new Int8Array(SIGNATURES).fill(-1);
const TABLE_KINDS: readonly string[] = PIECE_TABLE.map((p) => p.kind);
const TABLE_POINTS: readonly number[] = PIECE_TABLE.map((p) => p.points);
PIECE_TABLE.forEach((p, i) => {
  const sig = (p.kind.charCodeAt(0) - 65) * 16 + p.kind.length;
  if (INDEX_BY_SIGNATURE[sig] !== -1) throw new Error(`pieces: signature clash for ${p.kind}`);
  INDEX_BY_SIGNATURE[sig] = i;
});

/** Points of a piece kind (GENERAL_RED = 14 ... SOLDIER_BLACK = 1). */
export function pointsOf(kind: PieceKind): number {
  // The hot bot/rules paths call this for every piece they look at: a signature lookup and one string comparison
  // (was a 14-case string switch, about twice as slow on average; a keyed lookup on POINTS is slower still).
  if (typeof kind === 'string') {
    const sig = (kind.charCodeAt(0) - 65) * 16 + kind.length;
    if (sig >= 0 && sig < SIGNATURES) {
      const i = INDEX_BY_SIGNATURE[sig] as number;
      if (i >= 0 && TABLE_KINDS[i] === kind) return TABLE_POINTS[i] as number;
    }
  }
  return POINTS[kind as string] ?? 0;
}

/** Index of a kind in PIECE_TABLE (0 = GENERAL_RED ... 13 = SOLDIER_BLACK); even = red, odd = black. */
export function kindIndex(kind: PieceKind): number {
  return 14 - pointsOf(kind);
}

/** Whether a string is a known piece kind. */
export function isPieceKind(value: unknown): value is PieceKind {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(POINTS, value);
}

/** The name part of a kind (`GENERAL_RED` -> `GENERAL`). */
export function nameOf(kind: PieceKind): PieceName {
  return kind.slice(0, kind.indexOf('_')) as PieceName;
}

/** The colour part of a kind (`GENERAL_RED` -> `RED`). */
export function colorOf(kind: PieceKind): PieceColor {
  return kind.slice(kind.indexOf('_') + 1) as PieceColor;
}

/** The 32 pieces in the unshuffled order of §1.1. */
export function createDeck(): PieceKind[] {
  const deck: PieceKind[] = [];
  for (const p of PIECE_TABLE) for (let i = 0; i < p.copies; i++) deck.push(p.kind);
  return deck;
}

/** The wire string form of a piece, `KIND(points)`, e.g. `ELEPHANT_BLACK(9)` (§1.2). */
export function pieceLabel(kind: PieceKind): string {
  return `${kind}(${pointsOf(kind)})`;
}

/** A hand piece as the frontend expects it in `players[name].hand`: `{value, kind}` (§1.2). */
export interface WirePiece {
  readonly value: number;
  readonly kind: PieceKind;
}

/** The `{value, kind}` object form of a piece. */
export function wirePiece(kind: PieceKind): WirePiece {
  return { value: pointsOf(kind), kind };
}
