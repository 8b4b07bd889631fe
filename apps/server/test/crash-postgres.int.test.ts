/**
 * Crash recovery on Postgres: 10 SIGKILLs of the server child process at chosen moments of live games,
 * restarts on the same database, clients reconnect and finish; see ./crash/trial.ts for what is checked.
 */
import { describeCrashRecovery, postgresBackend } from './crash/trial.js';

describeCrashRecovery(postgresBackend);
