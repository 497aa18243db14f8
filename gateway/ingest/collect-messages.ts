import { isUtf8 } from 'node:buffer';
import type { CompiledPipeline, LineContext } from '../pipeline/line-outcome.ts';
import type { TopicMessages } from '../producers/batching-producer.ts';
import type { OutboundMessage } from '../producers/producer-engine.ts';
import { IngestTally } from './ingest-tally.ts';
import { forEachLine, type SplitResult, STOP_LINES } from './split-lines.ts';

/** What the per-line walk needs from the producer: its cap and what a message costs against it. */
export interface MessageBudget {
  readonly maxPendingBytes: number;
  costOf(message: OutboundMessage): number;
}

export interface CollectedMessages {
  readonly split: SplitResult;
  readonly tally: IngestTally;
  readonly groups: TopicMessages[];
  /** Sum of `costOf` over every collected message: what the producer's admission counts. */
  readonly cost: number;
  /** The walk stopped at `maxLinesPerRequest`: the request is refused whole (413 TOO_MANY_LINES). */
  readonly tooManyLines: boolean;
}

/**
 * The per-line part of an ingest request: every line of a decoded body through the repo's
 * pipeline, counted, and the accepted lines (and dead letters) grouped by topic. Pure apart
 * from the pipeline it is given; the HTTP handler and the stage benchmark share it.
 *
 * An accepted outcome already has the shape of an outbound message (key, value, and headers
 * only when the repo sets some), so it is handed on as it is rather than copied into a
 * second object per line.
 */
export function collectMessages(
  body: Buffer,
  pipeline: CompiledPipeline,
  context: LineContext,
  maxLineBytes: number,
  maxLineErrors: number,
  budget: MessageBudget,
  maxLinesPerRequest = Number.POSITIVE_INFINITY,
): CollectedMessages {
  const tally = new IngestTally(maxLineErrors);
  const groups: TopicMessages[] = [];
  const byTopic = new Map<string, OutboundMessage[]>();
  // Messages cost memory as they are built, before the producer's admission sees them: stop
  // as soon as they exceed what the producer could ever hold (a body of a million tiny lines).
  const capacity = budget.maxPendingBytes;
  let cost = 0;
  let lastTopic: string | undefined;
  let lastList: OutboundMessage[] | undefined;
  // One UTF-8 check per body instead of one per line: lines end at 0x0A, which is never part
  // of a multi-byte sequence, so every line of a valid body is valid. Only a body that fails
  // is checked line by line (to tell which lines are invalid).
  const utf8Checked = isUtf8(body);
  let lines = 0;
  let tooManyLines = false;
  const split = forEachLine(body, maxLineBytes, (line, lineNumber) => {
    // Counted before the pipeline runs: a request over the limit is refused whole, so
    // nothing of it is produced and a retry after splitting it duplicates nothing.
    if (++lines > maxLinesPerRequest) {
      tooManyLines = true;
      return STOP_LINES;
    }
    const outcome = pipeline(line, context, utf8Checked);
    tally.record(outcome, lineNumber);
    let topic: string;
    let message: OutboundMessage;
    if (outcome.kind === 'accepted') {
      // The outcome is the message (key, value and, when the repo sets any, headers).
      topic = outcome.topic;
      message = outcome;
    } else if (outcome.kind === 'invalid' && outcome.deadLetter) {
      // Dead letters carry the line as received; the line still counts as invalid.
      topic = outcome.deadLetter.topic;
      message = { key: null, value: line, headers: outcome.deadLetter.headers };
    } else {
      return;
    }
    cost += budget.costOf(message);
    if (cost > capacity) return STOP_LINES;
    // Consecutive lines mostly share a topic: the map is consulted only when it changes.
    if (topic !== lastTopic) {
      let list = byTopic.get(topic);
      if (list === undefined) {
        list = [];
        byTopic.set(topic, list);
        groups.push({ topic, messages: list });
      }
      lastTopic = topic;
      lastList = list;
    }
    (lastList as OutboundMessage[]).push(message);
  });
  return { split, tally, groups, cost, tooManyLines };
}
