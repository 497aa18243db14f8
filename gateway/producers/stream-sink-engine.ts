import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { OutboundMessage, ProducerEngine } from './producer-engine.ts';

/**
 * The embedded sink: writes each record as one JSON line
 * `{"topic":…,"key":…,"value":<record>}` to a stream, so the gateway runs and
 * shows its output with no Kafka at all. A batch counts as delivered once the
 * stream accepted it; back-pressure from the stream is honoured.
 */
export function createStreamSinkEngine(
  target: { type: 'stdout' } | { type: 'file'; path: string },
): ProducerEngine {
  let stream: Writable | undefined;
  return {
    async connect() {
      stream = target.type === 'stdout' ? process.stdout : createWriteStream(target.path, { flags: 'a' });
    },
    async send(topic, messages) {
      if (!stream) throw new Error('sink is not open');
      const prefix = `{"topic":${JSON.stringify(topic)},"key":`;
      const chunks: Buffer[] = [];
      for (const message of messages) chunks.push(encodeRecord(prefix, message));
      if (!stream.write(Buffer.concat(chunks))) await once(stream, 'drain');
    },
    async close() {
      const current = stream;
      stream = undefined;
      if (current && current !== process.stdout) {
        await new Promise<void>((resolve, reject) =>
          current.end((error?: Error | null) => (error ? reject(error) : resolve())),
        );
      }
    },
  };
}

// Values are JSON documents produced by the pipeline, so they are spliced in as they are.
function encodeRecord(prefix: string, message: OutboundMessage): Buffer {
  const head = `${prefix}${message.key === null ? 'null' : JSON.stringify(message.key)},"value":`;
  return Buffer.concat([Buffer.from(head), message.value, Buffer.from('}\n')]);
}
