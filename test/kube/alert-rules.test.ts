import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type Manifest, renderChart } from '../infra/helm.ts';
import { promtool } from '../infra/promtool.ts';

// The chart's PrometheusRule, rendered by the real helm with the default thresholds, run by
// Prometheus's own rule engine: `promtool test rules` (promtool built by test/infra/promtool.ts)
// with series that make each alert fire, labels and annotations as Prometheus expands them,
// and series next to them that must not fire (promtool fails on any alert a test does not
// list). One-minute samples throughout; `a+bxn` is promtool's "start at a, add b, n times".

interface Rule {
  alert: string;
  expr: string;
  for?: string;
}

const NS = { namespace: 'logs' };
const series = (name: string, labels: Record<string, string>, values: string) => ({
  series: `${name}{${Object.entries({ ...NS, ...labels })
    .map(([key, value]) => `${key}="${value}"`)
    .join(',')}}`,
  values,
});

/** Every alert of the chart, what makes it fire, and what must leave it silent. */
const cases = [
  {
    alert: 'SluiceAsyncLinesLost',
    series: [
      // 5 lost lines a minute: 50 in the 10-minute window.
      series('sluice_async_lines_failed_total', { pod: 'gw-1', repo: 'audit' }, '0+5x20 100x30'),
      // Lines lost long ago: the counter is non-zero but no longer moves.
      series('sluice_async_lines_failed_total', { pod: 'gw-1', repo: 'access' }, '3x50'),
    ],
    evals: [
      {
        at: '15m',
        alerts: [
          {
            exp_labels: { ...NS, repo: 'audit', severity: 'critical' },
            exp_annotations: {
              summary: 'Async lines of repo audit in logs were lost',
              description:
                "50 lines of repo audit were accepted with 202 in the last 10 minutes but never reached Kafka. Check the repo's producer (sluice_producer_errors_total) and the broker.",
            },
          },
        ],
      },
      // Ten minutes after the last loss the alert resolves.
      { at: '45m', alerts: [] },
    ],
  },
  {
    alert: 'SluiceKafkaProducerErrors',
    series: [
      series('sluice_producer_errors_total', { pod: 'gw-1', producer: 'main', kind: 'timeout' }, '0+6x30'),
      // A burst of errors shorter than the 10 minutes the alert waits.
      series(
        'sluice_producer_errors_total',
        { pod: 'gw-1', producer: 'spare', kind: 'broker' },
        '0x10 0+6x4 24x20',
      ),
    ],
    evals: [
      { at: '5m', alerts: [] },
      {
        at: '20m',
        alerts: [
          {
            exp_labels: { ...NS, producer: 'main', kind: 'timeout', severity: 'warning' },
            exp_annotations: {
              summary: 'Kafka producer main in logs fails batches (timeout)',
              description:
                'Producer main has failed 100m batches per second with timeout for 10 minutes. Sync repos answer 503 meanwhile; senders retry.',
            },
          },
        ],
      },
    ],
  },
  {
    alert: 'SluiceLinesDroppedHigh',
    series: [
      series('sluice_lines_received_total', { pod: 'gw-1', repo: 'access' }, '0+100x40'),
      series('sluice_lines_dropped_total', { pod: 'gw-1', repo: 'access', reason: 'constraint' }, '0+60x40'),
      // 40 % dropped: under the 50 % threshold.
      series('sluice_lines_received_total', { pod: 'gw-1', repo: 'billing' }, '0+100x40'),
      series('sluice_lines_dropped_total', { pod: 'gw-1', repo: 'billing', reason: 'sample' }, '0+40x40'),
    ],
    evals: [
      { at: '10m', alerts: [] },
      {
        at: '30m',
        alerts: [
          {
            exp_labels: { ...NS, repo: 'access', severity: 'warning' },
            exp_annotations: {
              summary: 'Repo access in logs drops most of its lines',
              description:
                '60% of the lines of repo access are dropped by its pipeline (sluice_lines_dropped_total by reason). A constraint may be wrong, or the senders changed their format.',
            },
          },
        ],
      },
    ],
  },
  {
    alert: 'SluiceLinesInvalid',
    series: [
      series('sluice_lines_received_total', { pod: 'gw-1', repo: 'access' }, '0+100x40'),
      series('sluice_lines_invalid_total', { pod: 'gw-1', repo: 'access', reason: 'invalid_json' }, '0+2x40'),
      // 0.5 % invalid: under the 1 % threshold.
      series('sluice_lines_received_total', { pod: 'gw-1', repo: 'billing' }, '0+100x40'),
      series(
        'sluice_lines_invalid_total',
        { pod: 'gw-1', repo: 'billing', reason: 'invalid_json' },
        '0+0.5x40',
      ),
    ],
    evals: [
      {
        at: '30m',
        alerts: [
          {
            exp_labels: { ...NS, repo: 'access', severity: 'warning' },
            exp_annotations: {
              summary: 'Repo access in logs receives invalid lines',
              description:
                '2% of the lines of repo access cannot be processed (sluice_lines_invalid_total by reason).',
            },
          },
        ],
      },
    ],
  },
  {
    alert: 'SluiceConfigReloadFailed',
    series: [
      series('sluice_config_reload_total', { pod: 'gw-1', result: 'invalid' }, '0x10 1x30'),
      // Applied reloads are no failure; a failure counted long before the window is over.
      series('sluice_config_reload_total', { pod: 'gw-2', result: 'applied' }, '0+1x40'),
      series('sluice_config_reload_total', { pod: 'gw-2', result: 'error' }, '2x40'),
    ],
    evals: [
      { at: '5m', alerts: [] },
      {
        at: '20m',
        alerts: [
          {
            exp_labels: { ...NS, pod: 'gw-1', severity: 'warning' },
            exp_annotations: {
              summary: 'Gateway gw-1 in logs failed to reload its config',
              description:
                'Gateway pod gw-1 rejected a new config in the last 15 minutes and runs its last good one (sluice_config_info shows which revision).',
            },
          },
        ],
      },
      { at: '40m', alerts: [] },
    ],
  },
  {
    alert: 'SluiceCanaryErrorRateAboveStable',
    series: [
      // access: the canary answers 10 % 5xx, stable none at all (no 5xx series).
      series(
        'sluice_requests_total',
        { pod: 'c-1', track: 'canary', repo: 'access', status: '200' },
        '0+540x30',
      ),
      series(
        'sluice_requests_total',
        { pod: 'c-1', track: 'canary', repo: 'access', status: '503' },
        '0+60x30',
      ),
      series(
        'sluice_requests_total',
        { pod: 's-1', track: 'stable', repo: 'access', status: '200' },
        '0+600x30',
      ),
      // billing: canary 3 %, stable 2 %: within the 2-point margin.
      series(
        'sluice_requests_total',
        { pod: 'c-1', track: 'canary', repo: 'billing', status: '200' },
        '0+97x30',
      ),
      series(
        'sluice_requests_total',
        { pod: 'c-1', track: 'canary', repo: 'billing', status: '503' },
        '0+3x30',
      ),
      series(
        'sluice_requests_total',
        { pod: 's-1', track: 'stable', repo: 'billing', status: '200' },
        '0+98x30',
      ),
      series(
        'sluice_requests_total',
        { pod: 's-1', track: 'stable', repo: 'billing', status: '503' },
        '0+2x30',
      ),
      // audit: half the canary's requests fail, but it serves under 0.1 requests a second.
      series(
        'sluice_requests_total',
        { pod: 'c-1', track: 'canary', repo: 'audit', status: '200' },
        '0+2x30',
      ),
      series(
        'sluice_requests_total',
        { pod: 'c-1', track: 'canary', repo: 'audit', status: '503' },
        '0+2x30',
      ),
      series(
        'sluice_requests_total',
        { pod: 's-1', track: 'stable', repo: 'audit', status: '200' },
        '0+100x30',
      ),
    ],
    evals: [
      { at: '3m', alerts: [] },
      {
        at: '20m',
        alerts: [
          {
            exp_labels: { ...NS, repo: 'access', severity: 'warning' },
            exp_annotations: {
              summary: 'Canary of repo access in logs fails more than stable',
              description:
                "The canary track answers 5xx to 10% more of repo access's requests than the stable track. Set the LogRepo's spec.canary.weight to 0 to send all traffic back to stable.",
            },
          },
        ],
      },
    ],
  },
  {
    alert: 'SluiceOperatorReconcileErrors',
    series: [
      series('sluice_operator_reconcile_total', { pod: 'op-1', result: 'error' }, '0+1x40'),
      // Errors long ago, successes now.
      series('sluice_operator_reconcile_total', { pod: 'op-2', result: 'error' }, '5x40'),
      series('sluice_operator_reconcile_total', { pod: 'op-2', result: 'success' }, '0+10x40'),
    ],
    evals: [
      { at: '10m', alerts: [] },
      {
        at: '30m',
        alerts: [
          {
            exp_labels: { ...NS, pod: 'op-1', severity: 'warning' },
            exp_annotations: {
              summary: 'The Sluice operator op-1 keeps failing reconciles',
              description:
                "Reconciles have failed for 15 minutes (retried with backoff). The operator's log and the LogRepos' Ready conditions say why.",
            },
          },
        ],
      },
    ],
  },
];

describe('the PrometheusRule under promtool test rules', () => {
  let dir: string;
  let rules: Rule[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-alerts-'));
    const { manifests } = await renderChart('alerts', 'sluice-system', [
      '--set',
      'monitoring.prometheusRule.enabled=true',
    ]);
    const rule = manifests.find((m) => m.kind === 'PrometheusRule') as
      | (Manifest & { spec: { groups: Array<{ name: string; rules: Rule[] }> } })
      | undefined;
    if (!rule) throw new Error('the chart rendered no PrometheusRule with monitoring.prometheusRule.enabled');
    rules = rule.spec.groups.flatMap((group) => group.rules);
    // A PrometheusRule's spec is a Prometheus rule file.
    await writeFile(join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is a valid rule file (promtool check rules)', async () => {
    const result = await promtool(['check', 'rules', 'rules.yaml'], dir);
    expect(`${result.stdout}${result.stderr}`).toMatch(/SUCCESS: 7 rules found/);
    expect(result.code).toBe(0);
  });

  it('has a test case for every alert of the chart', () => {
    expect(cases.map((c) => c.alert).sort()).toEqual(rules.map((r) => r.alert).sort());
  });

  it.each(cases)('$alert fires on its series and on no other', async (testCase) => {
    const file = `${testCase.alert}.test.yaml`;
    await writeFile(
      join(dir, file),
      stringify({
        rule_files: ['rules.yaml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: testCase.series,
            alert_rule_test: testCase.evals.map((evaluation) => ({
              eval_time: evaluation.at,
              alertname: testCase.alert,
              exp_alerts: evaluation.alerts,
            })),
          },
        ],
      }),
    );
    const result = await promtool(['test', 'rules', file], dir);
    const output = `${result.stdout}\n${result.stderr}`;
    expect(output, output).toMatch(/SUCCESS/);
    expect(result.code, output).toBe(0);
  });

  it('fails a test that expects an alert its series do not cause (the harness can fail)', async () => {
    const file = 'negative.test.yaml';
    await writeFile(
      join(dir, file),
      stringify({
        rule_files: ['rules.yaml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [series('sluice_async_lines_failed_total', { pod: 'gw-1', repo: 'audit' }, '7x30')],
            alert_rule_test: [
              {
                eval_time: '20m',
                alertname: 'SluiceAsyncLinesLost',
                exp_alerts: [{ exp_labels: { ...NS, repo: 'audit', severity: 'critical' } }],
              },
            ],
          },
        ],
      }),
    );
    const result = await promtool(['test', 'rules', file], dir);
    expect(result.code).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toMatch(/FAILED/);
  });
});
