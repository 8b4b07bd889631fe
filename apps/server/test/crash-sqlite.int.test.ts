/**
 * Crash recovery on SQLite: 10 SIGKILLs of the server child process at chosen moments of live games,
 * restarts on the same database, clients reconnect and finish; see ./crash/trial.ts for what is checked.
 */
import { describeCrashRecovery, sqliteBackend } from './crash/trial.js';

describeCrashRecovery(sqliteBackend);
