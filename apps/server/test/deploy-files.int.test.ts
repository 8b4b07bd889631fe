/**
 * deploy/: the compose stack's files agree with the server and with each other. Nothing here can run the
 * stack (no Docker engine); `pnpm image:check` runs the image, and promtool checks the Prometheus files there.
 * This catches the quiet mistakes: a misspelt setting in the compose file (the server ignores unknown
 * environment variables), a probe path or port that moved, a stop grace period shorter than the drain, a
 * mounted file that is not in the repository, a scrape target that does not name the server.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../src/config.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const deploy = path.join(repoRoot, 'deploy');
const read = (file: string): string => readFileSync(path.join(deploy, file), 'utf8');

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  environment?: Record<string, string | number>;
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  stop_grace_period?: string;
  stop_signal?: string;
}
const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service> };
const server = compose.services['server']!;

/** `${VAR:-default}` / `${VAR-default}` / `${VAR}` as compose fills them in from an empty environment. */
const substitute = (value: string | number): string =>
  String(value).replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}/g, (_m, fallback: string | undefined) => fallback ?? '');

const seconds = (d: string): number => {
  const m = /^(\d+)(ms|s|m)$/.exec(d);
  if (!m) throw new Error(`not a compose duration: ${d}`);
  return Number(m[1]) * ({ ms: 0.001, s: 1, m: 60 } as const)[m[2] as 'ms' | 's' | 'm'];
};

describe('deploy/docker-compose.yml', () => {
  // As the container sees it: the runtime stage's ENV as its environment, then compose's environment (its
  // defaults filled in, empty values left out as loadConfig does for the environment) on top, passed as
  // overrides so that an unknown key there is an error instead of being ignored.
  const dockerfile = readFileSync(path.resolve(deploy, server.build!.context, server.build!.dockerfile), 'utf8');
  const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const imageEnv: Record<string, string> = Object.fromEntries(
    [...runtimeStage.matchAll(/^ENV ((?:.*\\\n)*.*)$/gm)].flatMap((m) => [...m[1]!.matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)].map((kv) => [kv[1]!, kv[2]!])),
  );
  const env = Object.fromEntries(
    Object.entries(server.environment ?? {})
      .map(([k, v]) => [k, substitute(v)] as const)
      .filter(([, v]) => v !== ''),
  );

  it("gives the server settings it knows and accepts, pointing at the stack's Postgres and Redis", () => {
    const config = loadConfig(imageEnv, env);
    expect(config.DATABASE_URL).toBe('postgres://liap:liap@postgres:5432/liap');
    expect(config.REDIS_URL).toBe('redis://redis:6379');
    expect(config.GAME_TIME_SCALE).toBe(1);
  });

  it('builds the server from the Dockerfile in the repository and publishes its port', () => {
    expect(server.build).toBeDefined();
    const dockerfile = path.resolve(deploy, server.build!.context, server.build!.dockerfile);
    expect(existsSync(dockerfile), dockerfile).toBe(true);
    const exposed = /^EXPOSE (\d+)$/m.exec(readFileSync(dockerfile, 'utf8'))?.[1];
    expect(server.ports).toContain(`${exposed}:${exposed}`);
  });

  it("probes readiness on the server's port and gives the drain time to finish before SIGKILL", () => {
    const config = loadConfig(imageEnv, env);
    expect(imageEnv['PORT'], 'the image sets PORT').toBeDefined();
    const probe = server.healthcheck?.test.join(' ') ?? '';
    expect(probe).toContain(`http://127.0.0.1:${config.PORT}/health/ready`);
    expect(server.stop_signal).toBe('SIGTERM');
    const drainSeconds = (config.SHUTDOWN_DRAIN_DELAY_MS + config.SHUTDOWN_BUDGET_MS) / 1000;
    expect(seconds(server.stop_grace_period ?? '10s')).toBeGreaterThan(drainSeconds);
  });

  it('starts the server after healthy Postgres and Redis, which have health checks', () => {
    for (const dep of ['postgres', 'redis']) {
      expect(server.depends_on?.[dep]?.condition).toBe('service_healthy');
      expect(compose.services[dep]?.healthcheck?.test.length).toBeGreaterThan(0);
    }
    expect(compose.services['postgres']?.environment).toMatchObject({ POSTGRES_USER: 'liap', POSTGRES_DB: 'liap' });
  });

  it('mounts only files that are in the repository', () => {
    const mounts = Object.values(compose.services).flatMap((s) => s.volumes ?? []);
    const local = mounts.map((m) => m.split(':')[0]!).filter((src) => src.startsWith('./'));
    expect(local.length).toBeGreaterThan(2);
    expect(local.filter((src) => !existsSync(path.join(deploy, src)))).toEqual([]);
  });
});

describe('deploy/prometheus.yml', () => {
  const prometheus = parse(read('prometheus.yml')) as {
    rule_files: string[];
    scrape_configs: Array<{ job_name: string; metrics_path: string; static_configs: Array<{ targets: string[] }> }>;
  };

  it('scrapes /metrics of the compose service on its port, under the job the alert rules select', () => {
    const job = prometheus.scrape_configs.find((c) => c.job_name === 'liap-tui-server');
    expect(job?.metrics_path).toBe('/metrics');
    expect(job?.static_configs.flatMap((c) => c.targets)).toEqual([`server:${server.ports![0]!.split(':')[1]}`]);
    expect(read('alerts.yml')).toContain('job="liap-tui-server"');
  });

  it('loads the alert rules from where the compose file mounts them', () => {
    const mounted = (compose.services['prometheus']?.volumes ?? []).map((v) => v.split(':'));
    expect(prometheus.rule_files.length).toBeGreaterThan(0);
    for (const file of prometheus.rule_files) {
      expect(mounted.some(([src, dst]) => dst === file && existsSync(path.join(deploy, src!))), file).toBe(true);
    }
  });

  it('has alert rules that each name an expression, a severity and a summary', () => {
    const rules = (parse(read('alerts.yml')) as { groups: Array<{ rules: Array<Record<string, unknown>> }> }).groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(5);
    for (const rule of rules) {
      expect(typeof rule['alert'], JSON.stringify(rule)).toBe('string');
      expect(typeof rule['expr'], String(rule['alert'])).toBe('string');
      expect((rule['labels'] as Record<string, string> | undefined)?.['severity'], String(rule['alert'])).toMatch(/^(critical|warning|info)$/);
      expect((rule['annotations'] as Record<string, string> | undefined)?.['summary'], String(rule['alert'])).toBeTruthy();
    }
  });
});

describe('deploy/grafana', () => {
  const grafana = compose.services['grafana']!;
  const mounts = (grafana.volumes ?? []).map((v) => v.split(':') as [string, string, string?]);

  it('provisions the dashboard from the folder the compose file mounts it into', () => {
    const provider = parse(read('grafana/provisioning/dashboards/liap-tui.yml')) as { providers: Array<{ options: { path: string } }> };
    const dashboardMount = mounts.find(([src]) => src === './grafana-dashboard.json');
    expect(dashboardMount).toBeDefined();
    expect(provider.providers.map((p) => p.options.path)).toContain(path.posix.dirname(dashboardMount![1]));
    expect(mounts.some(([src, dst]) => src === './grafana/provisioning' && dst === '/etc/grafana/provisioning')).toBe(true);
  });

  it("reads the stack's Prometheus, and every panel uses the dashboard's data source variable", () => {
    const sources = parse(read('grafana/provisioning/datasources/prometheus.yml')) as { datasources: Array<{ type: string; url: string }> };
    const port = compose.services['prometheus']!.ports![0]!.split(':')[1];
    expect(sources.datasources).toEqual([expect.objectContaining({ type: 'prometheus', url: `http://prometheus:${port}` })]);
    const dashboard = JSON.parse(read('grafana-dashboard.json')) as {
      panels: Array<{ type: string; datasource?: { uid: string } | null }>;
      templating: { list: Array<{ name: string; type: string; query?: string }> };
    };
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }));
    const withQueries = dashboard.panels.filter((p) => p.type !== 'row');
    expect(withQueries.length).toBeGreaterThan(10);
    expect(withQueries.filter((p) => p.datasource?.uid !== '${datasource}').map((p) => p.type)).toEqual([]);
  });
});
