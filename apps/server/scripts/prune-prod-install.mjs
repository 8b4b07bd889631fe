#!/usr/bin/env node
// Usage: node prune-prod-install.mjs <dir>
//
// Shrinks a production install of the server (`pnpm --filter @game/server deploy --prod <dir>`, see
// apps/server/Dockerfile) by deleting native files the running server never loads on THIS platform:
//   - uWebSockets.js ships prebuilt binaries for every OS, CPU and Node ABI (~90 MB); only
//     uws_<platform>_<arch>_<abi>.node of the running Node is kept;
//   - better-sqlite3's compile intermediates (build/Release/obj*, .deps, test extension); only
//     build/Release/better_sqlite3.node is kept.
// Run it with the Node that will run the server (same OS, CPU and major version). It refuses to delete
// anything if the binary to keep is missing, and prints what it freed.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir || !existsSync(path.join(dir, 'node_modules', '.pnpm'))) {
  process.stderr.write('usage: prune-prod-install.mjs <dir of a pnpm deploy, with node_modules/.pnpm>\n');
  process.exit(2);
}
const store = path.join(dir, 'node_modules', '.pnpm');

function size(p) {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((n, e) => n + size(path.join(p, e)), 0);
}

let freed = 0;
let removed = 0;
function remove(p) {
  freed += size(p);
  removed++;
  rmSync(p, { recursive: true, force: true });
}

function keepOnly(folder, keep, what) {
  if (!existsSync(path.join(folder, keep))) {
    process.stderr.write(`prune: ${what}: ${path.join(folder, keep)} is missing; nothing deleted\n`);
    process.exit(1);
  }
  for (const entry of readdirSync(folder)) if (entry !== keep) remove(path.join(folder, entry));
}

for (const entry of readdirSync(store)) {
  if (entry.startsWith('@trufflesuite+uws-js-unofficial@')) {
    const binaries = path.join(store, entry, 'node_modules/@trufflesuite/uws-js-unofficial/binaries');
    if (existsSync(binaries)) {
      keepOnly(binaries, `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`, 'uWebSockets.js');
    }
  } else if (entry.startsWith('better-sqlite3@')) {
    const release = path.join(store, entry, 'node_modules/better-sqlite3/build/Release');
    if (existsSync(release)) keepOnly(release, 'better_sqlite3.node', 'better-sqlite3');
  }
}
process.stdout.write(`prune: removed ${removed} files/folders, ${(freed / 1e6).toFixed(1)} MB freed\n`);
