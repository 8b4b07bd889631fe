// A server in its own process for the idle-memory case: reports RSS before and after the clients connect.
import { startServer, type Impl } from './servers.js';

const impl = process.argv[2] as Impl;
const gc = (globalThis as { gc?: () => void }).gc;

function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, 300)).then(() => {
    gc?.();
  });
}

const server = await startServer(impl);
process.send!({ op: 'listening', port: server.port });
// the bench process is gone (finished or failed): do not linger as an orphan holding a port
process.on('disconnect', () => process.exit(0));
process.on('message', (cmd: { op: string }) => {
  void (async () => {
    if (cmd.op === 'measure') {
      await settle();
      await settle();
      const m = process.memoryUsage();
      process.send!({ op: 'measured', rss: m.rss, heap: m.heapUsed, port: server.port });
    } else if (cmd.op === 'exit') {
      await server.close();
      process.exit(0);
    }
  })();
});
