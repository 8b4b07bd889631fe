// `pnpm start`: builds the server and what it depends on, then runs it from the repository root, so the
// default database is ./data/liap-tui.db (SQLite, created on first start) and the port 5050.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
process.stdout.write('Building the server (turbo, cached after the first time)...\n');
const build = spawnSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@game/server...', '--output-logs=errors-only'], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) {
  process.stderr.write('The build failed; see the errors above.\n');
  process.exit(build.status ?? 1);
}
const child = spawn(process.execPath, [path.join(root, 'apps/server/dist/main.js'), 'serve', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
// Ctrl-C reaches the server directly (same process group): forwarding SIGINT too would count as a second
// signal and force an immediate exit. A SIGTERM aimed at this process is passed on.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
