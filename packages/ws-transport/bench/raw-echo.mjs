// A minimal WebSocket client over raw TCP for the echo case: the handshake, then pre-masked frames
// written in one batch per read, and a frame counter that only reads frame headers. It costs a small
// fraction of what the server spends per round trip, so the server (not this client) is the bottleneck.
import net from 'node:net';
import { randomBytes } from 'node:crypto';

/** One masked client text frame with `payload` (< 126 bytes). */
export function maskedTextFrame(payload) {
  const body = Buffer.from(payload, 'utf8');
  if (body.length >= 126) throw new Error('echo payload must be < 126 bytes');
  const mask = randomBytes(4);
  const frame = Buffer.alloc(2 + 4 + body.length);
  frame[0] = 0x81;
  frame[1] = 0x80 | body.length;
  mask.copy(frame, 2);
  for (let i = 0; i < body.length; i++) frame[6 + i] = body[i] ^ mask[i & 3];
  return frame;
}

/**
 * Opens a WebSocket over raw TCP. `onFrames(k)` is called with the number of complete server frames
 * in each chunk (frames split across chunks are counted when they complete).
 */
export function connectRaw(port, path, onFrames) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    let handshake = '';
    let upgraded = false;
    // bytes still to skip of a frame that continues in the next chunk; header bytes kept when split
    let skip = 0;
    let skipIsData = false;
    let partial = null;
    const onData = (chunk) => {
      let buf = chunk;
      if (!upgraded) {
        handshake += chunk.toString('latin1');
        const end = handshake.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!handshake.startsWith('HTTP/1.1 101')) {
          reject(new Error(`upgrade refused: ${handshake.split('\r\n')[0]}`));
          socket.destroy();
          return;
        }
        upgraded = true;
        const rest = Buffer.from(handshake.slice(end + 4), 'latin1');
        handshake = '';
        resolve(socket);
        if (rest.length === 0) return;
        buf = rest;
      }
      if (partial !== null) {
        buf = Buffer.concat([partial, buf]);
        partial = null;
      }
      let i = 0;
      let frames = 0;
      const n = buf.length;
      if (skip > 0) {
        if (skip >= n) {
          skip -= n;
          return;
        }
        i = skip;
        skip = 0;
        if (skipIsData) frames++;
      }
      while (i < n) {
        if (n - i < 2) {
          partial = buf.subarray(i);
          break;
        }
        let len = buf[i + 1] & 0x7f;
        let header = 2;
        if (len === 126) {
          if (n - i < 4) {
            partial = buf.subarray(i);
            break;
          }
          len = buf.readUInt16BE(i + 2);
          header = 4;
        } else if (len === 127) {
          if (n - i < 10) {
            partial = buf.subarray(i);
            break;
          }
          len = Number(buf.readBigUInt64BE(i + 2));
          header = 10;
        }
        // only data frames count (server pings/closes are not echoes)
        const opcode = buf[i] & 0x0f;
        const isData = opcode === 1 || opcode === 2;
        const end = i + header + len;
        if (end > n) {
          skip = end - n;
          skipIsData = isData;
          i = n;
          break;
        }
        if (isData) frames++;
        i = end;
      }
      if (frames > 0) onFrames(frames);
    };
    socket.on('data', onData);
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
  });
}
