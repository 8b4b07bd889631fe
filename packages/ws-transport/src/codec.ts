import { Packr } from 'msgpackr';

/** How frames of one connection are encoded: JSON text frames (browsers) or msgpack binary frames. */
export type CodecName = 'json' | 'msgpack';

/** Encodes outbound messages and decodes inbound frames for one wire format. */
export interface Codec {
  readonly name: CodecName;
  /** Whether frames of this codec are sent as binary WebSocket frames. */
  readonly binary: boolean;
  encode(message: unknown): string | Uint8Array;
  decode(frame: Uint8Array): unknown;
}

/** JSON text frames, what browsers expect. `decode` throws on invalid JSON (uWS already rejects text frames that are not UTF-8). */
export const jsonCodec: Codec = {
  name: 'json',
  binary: false,
  encode: (message) => JSON.stringify(message),
  decode: (frame) => JSON.parse(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('utf8')) as unknown,
};

// Plain structures only: records would tie a client to msgpackr's extension.
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** msgpack binary frames (msgpackr) for clients that opt in. */
export const msgpackCodec: Codec = {
  name: 'msgpack',
  binary: true,
  encode: (message) => packr.pack(message),
  decode: (frame) => packr.unpack(frame) as unknown,
};

/** The codec for a name. */
export function codecFor(name: CodecName): Codec {
  return name === 'msgpack' ? msgpackCodec : jsonCodec;
}
