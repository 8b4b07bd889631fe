// A light load client in its own process, driven over IPC: it counts frames instead of parsing them.
import WebSocket from 'ws';

let sockets = [];
let counts = [];
let expectTarget = 0;
let echoState = null;

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
            if (echoState !== null) {
              echoState.done++;
              if (echoState.running) ws.send(echoState.payload);
            } else if (expectTarget > 0 && counts[idx] >= expectTarget) checkExpect();
          });
          sockets[idx] = ws;
        });
      }),
    );
  }
}

process.on('message', async (cmd) => {
  try {
    if (cmd.op === 'connect') {
      await connect(cmd.url, cmd.n);
      send({ op: 'connected', n: sockets.length });
    } else if (cmd.op === 'expect') {
      counts.fill(0);
      expectTarget = cmd.count;
      send({ op: 'ready' });
    } else if (cmd.op === 'echo') {
      echoState = { running: true, done: 0, payload: JSON.stringify({ type: 'echo', n: 1, text: 'hello world' }) };
      for (const ws of sockets) ws.send(echoState.payload);
      setTimeout(() => {
        echoState.running = false;
        const done = echoState.done;
        setTimeout(() => {
          echoState = null;
          send({ op: 'echoed', roundTrips: done });
        }, 200);
      }, cmd.durationMs);
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
send({ op: 'up' });
