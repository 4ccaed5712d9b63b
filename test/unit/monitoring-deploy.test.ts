/**
 * The monitoring that docker-compose.yml deploys: Prometheus scrapes the API and the worker, Grafana
 * loads its data source and the operations dashboard from deploy/, and every query of the dashboard
 * names metrics the processes export (the operator gauges, the HTTP metrics, Prometheus's `up`).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OPERATOR_METRICS } from '../../api/operator-metrics.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface Service {
  image?: string;
  volumes?: string[];
  depends_on?: string[] | Record<string, unknown>;
  secrets?: string[];
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
  secrets?: Record<string, { environment?: string }>;
};
const prometheus = parse(read('deploy/prometheus.yml')) as {
  scrape_configs: {
    job_name: string;
    metrics_path: string;
    static_configs: { targets: string[] }[];
    authorization?: { type?: string; credentials_file?: string };
  }[];
};
const datasources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
  datasources: { uid: string; url: string; type: string }[];
};
const dashboard = JSON.parse(read('deploy/grafana/dashboards/ballot-tracker-operations.json')) as {
  uid: string;
  panels: { type: string; title: string; datasource?: { uid: string }; targets?: { expr: string }[] }[];
};

/** What the API and worker processes export (the Temporal SDK's own metrics are not queried). */
const EXPORTED = new Set<string>([
  ...Object.values(OPERATOR_METRICS),
  'outbox_pending_rows',
  'http_requests_total',
  'http_request_duration_seconds_bucket',
  'up',
]);
const PROMQL_WORDS = new Set([
  'max',
  'min',
  'sum',
  'by',
  'rate',
  'deriv',
  'delta',
  'increase',
  'histogram_quantile',
  'without',
]);

/** Metric names in a PromQL expression: identifiers not followed by `(`, outside labels and strings. */
function metricNames(expr: string): string[] {
  const withoutLabels = expr
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\([^()]*\)\s*\(/g, '(');
  return [...withoutLabels.matchAll(/[a-z_][a-z0-9_]*/g)]
    .map((m) => m[0])
    .filter(
      (word) =>
        !PROMQL_WORDS.has(word) &&
        !/^(state|channel|election|moment|county|reason|source|job|instance|error_class|status)$/.test(word),
    );
}

function mounts(service: Service): { source: string; target: string }[] {
  return (service.volumes ?? []).map((volume) => {
    const [source, target] = volume.split(':');
    return { source: source!, target: target! };
  });
}

describe('monitoring in docker-compose.yml', () => {
  it('runs Prometheus with deploy/prometheus.yml, scraping the api and the worker', () => {
    const service = compose.services.prometheus!;
    expect(service.image).toMatch(/^prom\/prometheus:v\d/);
    expect(mounts(service)).toContainEqual({
      source: './deploy/prometheus.yml',
      target: '/etc/prometheus/prometheus.yml',
    });
    const targets = prometheus.scrape_configs.flatMap((job) => job.static_configs.flatMap((c) => c.targets));
    expect(targets).toEqual(expect.arrayContaining(['api:3000', 'worker:9464']));
  });

  it('scrapes the API with OPS_TOKEN (production answers /metrics 404 without it)', () => {
    const api = prometheus.scrape_configs.find((job) => job.static_configs.some((c) => c.targets.includes('api:3000')));
    expect(api?.authorization).toEqual({ type: 'Bearer', credentials_file: '/run/secrets/ops_token' });
    expect(compose.services.prometheus!.secrets).toContain('ops_token');
    expect(compose.secrets?.ops_token).toEqual({ environment: 'OPS_TOKEN' });
  });

  it('runs Grafana with the provisioned data source and the dashboards folder', () => {
    const service = compose.services.grafana!;
    expect(service.image).toMatch(/^grafana\/grafana:\d/);
    const mounted = mounts(service);
    for (const { source } of mounted.filter((m) => m.source.startsWith('./'))) {
      expect(existsSync(path.join(root, source)), source).toBe(true);
    }
    expect(mounted).toContainEqual({ source: './deploy/grafana/provisioning', target: '/etc/grafana/provisioning' });
    expect(mounted).toContainEqual({ source: './deploy/grafana/dashboards', target: '/var/lib/grafana/dashboards' });
    expect(datasources.datasources[0]).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
  });

  it('the dashboard queries only the provisioned data source and metrics the processes export', () => {
    const uid = datasources.datasources[0]!.uid;
    const queried = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(queried.length).toBeGreaterThan(10);
    for (const panel of queried) {
      expect(panel.datasource?.uid, panel.title).toBe(uid);
      for (const { expr } of panel.targets ?? []) {
        const unknown = metricNames(expr).filter((name) => !EXPORTED.has(name));
        expect(unknown, `${panel.title}: ${expr}`).toEqual([]);
      }
    }
  });

  it('shows every operator gauge somewhere', () => {
    const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((t) => t.expr)).join('\n');
    const missing = Object.values(OPERATOR_METRICS).filter((name) => !exprs.includes(name));
    expect(missing).toEqual([]);
  });
});
