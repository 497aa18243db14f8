// `npm run bench:stages`: the gateway's per-line stages (split, decode, pipeline, serialize,
// hand-off to the batching producer) in CPU µs per line, in this process, for the bench's
// pass-through and typical repos on the same access-log bodies `npm run bench` posts. No
// broker, no HTTP: the quick loop for work on the hot path. `npm run bench` prints the same
// stages next to the HTTP floor and the engine, measured in one run.
//   npm run bench:stages -- [--ms 300] [--reps 5]
import { parseArgs } from 'node:util';
import { generateAccessLogLines } from './access-log-data.ts';
import { MATRIX_PIPELINES } from './bench-matrix.ts';
import { benchBodies, benchContext, benchRepoPipeline } from './bench-repo.ts';
import { measureStageCosts } from './stage-costs.ts';

const { values } = parseArgs({
  options: { ms: { type: 'string', default: '300' }, reps: { type: 'string', default: '5' } },
});
const lines = generateAccessLogLines(20_000, 1);
const bodies = benchBodies(lines, 100).map((body) => body.data);
const rows: string[] = [];
for (const kind of MATRIX_PIPELINES) {
  const { pipeline, decode, maxLineBytes, batch } = benchRepoPipeline(kind);
  const costs = await measureStageCosts({
    bodies,
    pipeline,
    decode,
    context: benchContext,
    maxLineBytes,
    batch,
    minMs: Number(values.ms),
    repetitions: Number(values.reps),
  });
  const total = costs.split + costs.decode + costs.pipeline + costs.serialize + costs.handOff;
  const cells = [costs.split, costs.decode, costs.pipeline, costs.serialize, costs.handOff, total];
  rows.push(`| ${kind} | ${cells.map((v) => v.toFixed(2)).join(' | ')} |`);
}
process.stdout.write(
  [
    `Node ${process.version}, CPU µs per line (medians of ${values.reps} loops of ≥ ${values.ms} ms)`,
    '',
    '| pipeline | split | decode | pipeline | serialize | hand-off | total |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n'),
);
