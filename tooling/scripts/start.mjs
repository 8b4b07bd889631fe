// `pnpm start`: builds what the server needs and starts it on SQLite (./data), port 5050.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const serverPkg = new URL('../../apps/server/package.json', import.meta.url);
if (!existsSync(serverPkg)) {
  console.error(
    'The Liap Tui server (apps/server) does not exist yet: it is tracked as its own issue and comes after the packages.\n' +
      'Nothing was started. Run the tests with the README test command in the meantime.',
  );
  process.exit(1);
}
const r = spawnSync('pnpm', ['exec', 'turbo', 'run', 'start', '--filter=@game/server', '--output-logs=errors-only'], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
