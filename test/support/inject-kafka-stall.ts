import { Socket } from 'node:net';

// A "bad image" for the e2e tests, loaded into a gateway pod's process with
// `node --import <this file>` by the kubelet stand-in (imageEnv): every write on a socket the
// process opened itself — its Kafka connections; the ingest sockets are accepted, not opened —
// goes out SLUICE_TEST_FAULT_KAFKA_DELAY_MS later, in order, as a Kafka connection that stalls
// would make it. The gateway still acknowledges only what Kafka has; its answers just come
// slowly, which its own request-duration histogram records. Test code only: the product has
// no fault switch.

const delayMs = Number(process.env.SLUICE_TEST_FAULT_KAFKA_DELAY_MS ?? '0');
const outbound = new WeakSet<Socket>();
// Said once in the pod's log, so a test run shows which processes carry the fault.
process.stderr.write(`[inject-kafka-stall] writes to Kafka delayed by ${delayMs} ms in pid ${process.pid}\n`);

const connect = Socket.prototype.connect;
Socket.prototype.connect = function patched(this: Socket, ...args: unknown[]) {
  outbound.add(this);
  return Reflect.apply(connect, this, args) as Socket;
} as typeof Socket.prototype.connect;

const write = Socket.prototype.write;
Socket.prototype.write = function patched(this: Socket, ...args: unknown[]) {
  if (delayMs <= 0 || !outbound.has(this)) return Reflect.apply(write, this, args) as boolean;
  // Equal timeouts fire in the order they were set: the byte stream keeps its order.
  setTimeout(() => {
    if (!this.destroyed) Reflect.apply(write, this, args);
  }, delayMs);
  return true;
} as typeof Socket.prototype.write;
