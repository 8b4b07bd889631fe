// One bench server in its own process, driven over IPC: reports its CPU time, and runs broadcasts
// in-process so their CPU cost is measured where it is spent.
import { startServer, type Impl } from './servers.js';

const impl = process.argv[2] as Impl;
const server = await startServer(impl);
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
process.send!({ op: 'listening', port: server.port });
// the bench process is gone (finished or failed): do not linger as an orphan holding a port
process.on('disconnect', () => process.exit(0));
process.on('message', (cmd: { op: string; count?: number; message?: unknown }) => {
  void (async () => {
    if (cmd.op === 'cpu') {
      process.send!({ op: 'cpu', ms: cpuMs() });
    } else if (cmd.op === 'broadcast') {
      const t0 = cpuMs();
      for (let i = 0; i < cmd.count!; i++) server.broadcast(cmd.message);
      process.send!({ op: 'broadcasted', cpuMs: cpuMs() - t0 });
    } else if (cmd.op === 'exit') {
      await server.close();
      process.exit(0);
    }
  })();
});
