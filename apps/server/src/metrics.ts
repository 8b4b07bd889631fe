/** Game metrics for /metrics, registered on the server's prom-client registry. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The game's counters, gauges and histograms. */
export interface GameMetrics {
  readonly liveRooms: Gauge;
  readonly gamesStarted: Counter;
  readonly gamesFinished: Counter;
  readonly gameDuration: Histogram;
  readonly phaseDuration: Histogram<'phase'>;
  readonly actions: Counter<'type' | 'outcome'>;
  readonly actionLatency: Histogram<'type'>;
  readonly mailboxWait: Histogram;
}

/** Creates the game metrics on `registry`; `liveRooms` reads the count when scraped. */
export function createGameMetrics(registry: Registry, liveRoomCount: () => number = () => 0): GameMetrics {
  const registers = [registry];
  return {
    liveRooms: new Gauge({
      name: 'liap_live_rooms',
      help: 'Rooms with a live actor',
      registers,
      collect() {
        this.set(liveRoomCount());
      },
    }),
    gamesStarted: new Counter({ name: 'liap_games_started_total', help: 'Games started', registers }),
    gamesFinished: new Counter({ name: 'liap_games_finished_total', help: 'Games that reached game over', registers }),
    gameDuration: new Histogram({
      name: 'liap_game_duration_seconds',
      help: 'Wall time from game start to game over',
      buckets: [1, 10, 60, 300, 600, 1200, 1800, 3600, 7200],
      registers,
    }),
    phaseDuration: new Histogram({
      name: 'liap_phase_duration_seconds',
      help: 'Time spent in each game phase',
      labelNames: ['phase'],
      buckets: [0.001, 0.01, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    actions: new Counter({ name: 'liap_actions_total', help: 'Room commands by type and outcome', labelNames: ['type', 'outcome'], registers }),
    actionLatency: new Histogram({
      name: 'liap_action_to_broadcast_seconds',
      help: 'From a command entering its room to the last frame handed to the sockets',
      labelNames: ['type'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    mailboxWait: new Histogram({
      name: 'liap_mailbox_wait_seconds',
      help: 'Time a command waited in its room mailbox',
      buckets: [0.0001, 0.001, 0.01, 0.1, 1, 5],
      registers,
    }),
  };
}
