import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningGateway, runGateway } from '../../gateway/run-gateway.ts';
import { repoConfigDigests } from '../../kernel/repo-config-digest.ts';
import { httpGet } from '../../operator/observe/http-get.ts';
import { parsePodReport } from '../../operator/observe/pod-report.ts';
import { renderGatewayConfig } from '../../operator/render/render-gateway-config.ts';
import { configApplied } from '../../operator/status/config-applied.ts';

// The contract between a gateway's /status and the operator's ConfigApplied, with a real
// gateway (HTTP server, file watch and reload; a stdout producer, so no broker) and the
// operator's own transport, parser and verdict. A gateway that refuses a config (here: an
// executer type it does not know, as an older image would) keeps serving the previous one
// and says why; the operator turns that into ReloadRejected with the gateway's words.

const producer = { metadata: { name: 'out' }, spec: { brokers: ['unused:9092'] } };
const repo = (executers: unknown[]) => ({
  metadata: { name: 'access' },
  spec: { kafka: { producer: 'out', topic: 'logs.access', mode: 'sync' }, executers },
});
/** The operator's render with the producer swapped for stdout: same repo entries and digests. */
function rendered(executers: unknown[]) {
  const config = renderGatewayConfig([producer as never], [repo(executers) as never]);
  const body = JSON.parse(config.text) as {
    producers: Record<string, unknown>;
    repos: Record<string, unknown>;
  };
  return { config, text: config.text, body };
}

describe('a refused reload, from the gateway’s /status to ConfigApplied', () => {
  let dir = '';
  let running: RunningGateway | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reports the digest it runs, then the refused revision and why; the operator says ReloadRejected', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-contract-'));
    const file = join(dir, 'gateway.yaml');
    // The stdout producer stands in for Kafka: the digest covers it, so the operator's
    // expectation is computed over the very text the gateway loads.
    const asStdout = (text: string) => text.replace(/"out":\{[^}]*\}/, '"out":{"type":"stdout"}');
    const good = rendered([{ type: 'set', field: 'v', value: 1 }]);
    await writeFile(file, asStdout(good.text));
    const started = await runGateway({
      file,
      logger: pino({ level: 'silent' }),
      port: 0,
      host: '127.0.0.1',
      pollIntervalMs: 50,
    });
    if (!started.ok) throw new Error(JSON.stringify(started.issues));
    running = started.running;
    const url = `${running.gateway.url}/status`;
    const read = async () => {
      const answer = await httpGet(url, { timeoutMs: 2000, maxBytes: 1 << 20 });
      const parsed = parsePodReport(JSON.parse(answer.body));
      if (!parsed.ok) throw new Error(parsed.problem);
      return parsed.report;
    };

    const goodDigest = repoConfigDigests(JSON.parse(asStdout(good.text))).get('access') as string;
    expect((await read()).repos.get('access')).toBe(goodDigest);

    // A config with an executer this gateway does not know: refused, the old one keeps serving.
    const unknown = good.text
      .replace('"type":"set"', '"type":"teleport"')
      .replace(good.config.revision, 'sha256-refused');
    await writeFile(file, asStdout(unknown));
    let report = await read();
    for (let i = 0; i < 100 && report.rejected === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      report = await read();
    }
    expect(report.rejected).toMatchObject({
      revision: 'sha256-refused',
      message: expect.stringMatching(/^\/repos\/access\/executers\/0/),
    });
    expect(report.repos.get('access')).toBe(goodDigest);

    const verdict = configApplied(
      'access',
      [
        {
          track: 'stable',
          digest: 'the-new-digest',
          revision: 'sha256-refused',
          pods: [{ pod: 'p1', state: 'reported', report }],
        },
      ],
      2,
    );
    expect(verdict.condition).toMatchObject({ status: 'False', reason: 'ReloadRejected' });
    expect(verdict.condition.message).toContain('stable pod p1 said: /repos/access/executers/0');
    expect(verdict.served.status).toBe('False');
  });
});
