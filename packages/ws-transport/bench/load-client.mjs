// A light load client in its own process, driven over IPC: it counts frames instead of parsing them.
// Broadcast and idle clients are `ws` clients; echo clients are raw TCP (raw-echo.mjs), far cheaper per frame.
import WebSocket from 'ws';
import { connectRaw, maskedTextFrame } from './raw-echo.mjs';

let sockets = [];
let counts = [];
let expectTarget = 0;

function send(msg) {
  process.send(msg);
}

function checkExpect() {
  if (expectTarget > 0 && counts.every((c) => c >= expectTarget)) {
    expectTarget = 0;
    send({ op: 'received' });
  }
}

async function connect(url, n) {
  sockets = [];
  counts = new Array(n).fill(0);
  const batch = 200;
  for (let i = 0; i < n; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, n - i) }, (_, j) => {
        const idx = i + j;
        return new Promise((resolve, reject) => {
          const ws = new WebSocket(url, { perMessageDeflate: false });
          ws.on('open', () => resolve());
          ws.on('error', reject);
          ws.on('message', () => {
            counts[idx]++;
            if (expectTarget > 0 && counts[idx] >= expectTarget) checkExpect();
          });
          sockets[idx] = ws;
        });
      }),
    );
  }
}

// Echo clients (raw TCP, see raw-echo.mjs), one set per server so the servers can be measured in turns.
const rawSets = new Map();
const ECHO_PAYLOAD = JSON.stringify({ type: 'echo', n: 1, text: 'hello world' });

async function rawConnect(tag, port, n) {
  const set = { sockets: [], running: false, received: 0, receivedWhileRunning: 0, batches: [] };
  const frame = maskedTextFrame(ECHO_PAYLOAD);
  // batches[k]: k frames back to back, written with one syscall
  set.batches = [Buffer.alloc(0)];
  for (let k = 1; k <= 256; k++) set.batches.push(Buffer.concat([set.batches[k - 1], frame]));
  for (let i = 0; i < n; i += 100) {
    const part = await Promise.all(
      Array.from({ length: Math.min(100, n - i) }, () => {
        let socket;
        const p = connectRaw(port, '/ws', (k) => {
          set.received += k;
          if (set.running) {
            set.receivedWhileRunning += k;
            while (k > 256) {
              socket.write(set.batches[256]);
              k -= 256;
            }
            socket.write(set.batches[k]);
          }
        });
        return p.then((s) => (socket = s));
      }),
    );
    set.sockets.push(...part);
  }
  rawSets.set(tag, set);
}

/** Keeps `inFlight` frames per socket in flight for `durationMs`; then waits until every reply is in. */
async function rawEcho(tag, durationMs, inFlight) {
  const set = rawSets.get(tag);
  set.received = 0;
  set.receivedWhileRunning = 0;
  set.running = true;
  const t0 = performance.now();
  for (const s of set.sockets) s.write(set.batches[inFlight]);
  await new Promise((r) => setTimeout(r, durationMs));
  set.running = false;
  const seconds = (performance.now() - t0) / 1000;
  const sent = set.receivedWhileRunning + set.sockets.length * inFlight;
  const deadline = performance.now() + 5000;
  while (set.received < sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return { roundTrips: set.received, sent, roundTripsPerSec: set.receivedWhileRunning / seconds };
}

process.on('message', async (cmd) => {
  try {
    if (cmd.op === 'rawConnect') {
      await rawConnect(cmd.tag, cmd.port, cmd.n);
      send({ op: 'rawConnected' });
      return;
    } else if (cmd.op === 'rawEcho') {
      send({ op: 'rawEchoed', ...(await rawEcho(cmd.tag, cmd.durationMs, cmd.inFlight)) });
      return;
    } else if (cmd.op === 'rawClose') {
      const set = rawSets.get(cmd.tag);
      rawSets.delete(cmd.tag);
      await Promise.all(set.sockets.map((s) => new Promise((r) => (s.destroyed ? r() : (s.once('close', r), s.destroy())))));
      send({ op: 'rawClosed' });
      return;
    }
    if (cmd.op === 'connect') {
      await connect(cmd.url, cmd.n);
      send({ op: 'connected', n: sockets.length });
    } else if (cmd.op === 'expect') {
      counts.fill(0);
      expectTarget = cmd.count;
      send({ op: 'ready' });
    } else if (cmd.op === 'close') {
      await Promise.all(
        sockets.map(
          (ws) =>
            new Promise((r) => {
              if (ws.readyState === WebSocket.CLOSED) return r();
              ws.once('close', r);
              ws.terminate();
            }),
        ),
      );
      sockets = [];
      send({ op: 'closed' });
    } else if (cmd.op === 'exit') {
      process.exit(0);
    }
  } catch (err) {
    send({ op: 'error', message: String(err) });
  }
});
process.on('disconnect', () => process.exit(0));
send({ op: 'up' });
