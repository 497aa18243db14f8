import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sleep } from '../test/infra/system-tools.ts';
import { writeConfigMapVolume } from '../test/support/atomic-writer.ts';
import { summarizeLatencies } from './bench-stats.ts';
import { startGatewayProcess } from './gateway-process.ts';
import { readProcessMemory } from './proc-stats.ts';

// Hot-reload benchmark: a real gateway process watching a ConfigMap-style
// directory. For configs of 10, 100 and 1,000 repos it measures the time from
// the kubelet-style `..data` symlink swap to the new revision serving
// (/status), and the gateway's RSS after 1 and after 100 reloads. Producers
// write to /dev/null so only the reload path is measured. No Kafka needed.

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,100,1000' },
    swaps: { type: 'string', default: '20' },
    'leak-reloads': { type: 'string', default: '100' },
    pause: { type: 'string', default: '500' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const swaps = Number(values.swaps);
const leakReloads = Number(values['leak-reloads']);
// Pause after each swap (ms); 0 reproduces back-to-back reload storms.
const PAUSE_MS = Number(values.pause);

let format: 'json' | 'yaml' = 'json';

// The operator renders JSON (which is YAML); hand-written files are YAML.
const configText = (repos: number, revision: number) => {
  const config = {
    revision: `bench-${revision}`,
    server: { host: '127.0.0.1', port: 0 },
    producers: { sink: { type: 'file', path: '/dev/null' } },
    repos: Object.fromEntries(
      Array.from({ length: repos }, (_, i) => [
        `repo-${i}`,
        {
          producer: 'sink',
          topic: `logs.repo-${i}${i === revision % repos ? `.r${revision}` : ''}`,
          mode: 'sync',
          key: 'host',
        },
      ]),
    ),
  };
  if (format === 'json') return JSON.stringify(config, null, 1);
  return [
    `revision: ${config.revision}`,
    'server: { host: 127.0.0.1, port: 0 }',
    'producers:',
    '  sink: { type: file, path: /dev/null }',
    'repos:',
    ...Object.entries(config.repos).map(
      ([name, r]) => `  ${name}: { producer: ${r.producer}, topic: ${r.topic}, mode: sync, key: host }`,
    ),
  ].join('\n');
};

const rssMb = async (pid: number) => ((await readProcessMemory(pid))?.rssBytes ?? Number.NaN) / 1024 ** 2;

async function withGateway<T>(
  repos: number,
  body: (url: string, pid: number, dir: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-reload-bench-'));
  await writeConfigMapVolume(dir, { 'gateway.yaml': configText(repos, 0) });
  const gateway = await startGatewayProcess({
    mainFile: join(import.meta.dirname, '..', 'gateway', 'main.ts'),
    configFile: join(dir, 'gateway.yaml'),
    cwd: join(import.meta.dirname, '..'),
    gatewayArgs: ['--poll-ms', '60000'],
  }).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  try {
    return await body(gateway.url, gateway.pid, dir);
  } finally {
    await gateway.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function reloadOnce(url: string, dir: string, repos: number, revision: number): Promise<number> {
  const { swappedAt } = await writeConfigMapVolume(dir, { 'gateway.yaml': configText(repos, revision) });
  const wanted = `bench-${revision}`;
  for (;;) {
    const status = (await (await fetch(`${url}/status`)).json()) as { revision: string };
    if (status.revision === wanted) return performance.now() - swappedAt;
    await sleep(1);
  }
}

console.log(
  `reload benchmark: node ${process.version}, ${swaps} swaps per size; milliseconds from the ..data swap to /status serving the new revision`,
);
console.log('| config | repos | p50 | p90 | max |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const candidate of ['json', 'yaml'] as const) {
  format = candidate;
  for (const repos of sizes) {
    const timings = await withGateway(repos, async (url, _pid, dir) => {
      const samples: number[] = [];
      for (let revision = 1; revision <= swaps; revision++) {
        samples.push(await reloadOnce(url, dir, repos, revision));
        // Real config changes come seconds apart; a pause keeps swaps independent.
        await sleep(PAUSE_MS);
      }
      return summarizeLatencies(samples);
    });
    console.log(
      `| ${format} | ${repos} | ${timings.p50.toFixed(1)} | ${timings.p90.toFixed(1)} | ${timings.max.toFixed(1)} |`,
    );
  }
}
format = 'json';

const leakRepos = sizes.at(-1) ?? 1000;
const memory = await withGateway(leakRepos, async (url, pid, dir) => {
  const series: Array<{ reloads: number; rss: number }> = [];
  for (let revision = 1; revision <= leakReloads; revision++) {
    await reloadOnce(url, dir, leakRepos, revision);
    await sleep(PAUSE_MS);
    if (revision === 1 || revision % 25 === 0) {
      await sleep(1000);
      series.push({ reloads: revision, rss: await rssMb(pid) });
    }
  }
  return series;
});
const first = memory[0]?.rss ?? Number.NaN;
const last = memory.at(-1)?.rss ?? Number.NaN;
console.log(
  `\nRSS with ${leakRepos} repos (json), after N reloads: ${memory.map((m) => `${m.reloads}: ${m.rss.toFixed(1)} MB`).join(', ')}`,
);
console.log(`growth from 1 to ${leakReloads} reloads: ${(((last - first) / first) * 100).toFixed(1)}%`);
