import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianTool, runCommand, tail } from './system-tools.ts';

// The pod network of the test run: a Linux bridge on the host with an address from a pod
// range (10.244.0.0/16 unless another run holds it), and per pod a network namespace joined
// to it by a veth pair, with an address of its own. The apiserver refuses loopback addresses
// in EndpointSlices, so the gateway processes that play pods (kubelet-stand-in.ts) listen
// inside these namespaces, and what they talk to (the Kafka broker) listens on the bridge's
// host address. Traffic only ever goes to namespaces this run made: nothing else on any
// private range is a target.
//
// Every name carries the marker `slc` and the creating process's pid, so a later run sweeps
// what a killed run left behind (its pid no longer alive), and never touches another live
// run's. Needs root (`ip netns`), as the tests run on the build machines and in CI;
// provisioning checks that (checkPodNetworkSupport) and fails loudly otherwise.

const BRIDGE_PREFIX = 'slcbr-';
const NETNS_PREFIX = 'sluice-pod-';
const VETH_PREFIX = 'slv';

/** What a test process needs to place pods on the run's network (plain data: it crosses processes). */
export interface PodNetworkInfo {
  /** The host's bridge, e.g. `slcbr-1234`. */
  readonly bridge: string;
  /** The pod range, e.g. `10.244.0.0/16`. */
  readonly cidr: string;
  /** The host's address on the bridge, e.g. `10.244.0.1`: where pods reach host services. */
  readonly hostAddress: string;
  /** First two octets of the range, e.g. `10.244`. */
  readonly prefix: string;
  /** Folder where pod placements claim their node subnets (mkdir is the lock). */
  readonly stateDir: string;
}

export interface PodNetwork {
  readonly info: PodNetworkInfo;
  /** Removes the bridge (pods' namespaces are removed by whoever made them). Idempotent. */
  remove(): Promise<void>;
}

const ip = async (args: readonly string[]): Promise<string> => {
  const result = await runCommand('ip', args, { timeoutMs: 20_000 });
  if (result.code !== 0) {
    throw new Error(`ip ${args.join(' ')} failed (exit ${result.code}): ${tail(result.stderr, 5).trim()}`);
  }
  return result.stdout;
};

// One 'exit' hook for every bridge and namespace of this process: synchronous, since
// nothing async runs there.
const exitCleanups = new Set<() => void>();
let exitHooked = false;
function removeAtExit(cleanup: () => void): () => void {
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', () => {
      for (const run of exitCleanups) run();
    });
  }
  exitCleanups.add(cleanup);
  return () => exitCleanups.delete(cleanup);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The pid a marked name carries, or undefined for names that are not this harness's. */
export function markedPid(name: string): number | undefined {
  const match = /^(?:slcbr-|sluice-pod-|slv)(\d+)(?:-|$)/.exec(name);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Deletes namespaces and bridges left by runs whose process is gone. */
async function sweepPodNetworkLeftovers(): Promise<string[]> {
  const swept: string[] = [];
  const namespaces = (await ip(['netns', 'list']))
    .split('\n')
    .map((line) => line.split(/\s+/)[0] ?? '')
    .filter((name) => name.startsWith(NETNS_PREFIX));
  for (const name of namespaces) {
    const pid = markedPid(name);
    if (pid !== undefined && !alive(pid)) {
      await ip(['netns', 'delete', name]).catch(() => undefined);
      swept.push(name);
    }
  }
  const links = (await ip(['-o', 'link', 'show']))
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1] ?? '')
    .filter((name) => name.startsWith(BRIDGE_PREFIX) || name.startsWith(VETH_PREFIX));
  for (const name of links) {
    const pid = markedPid(name);
    if (pid !== undefined && !alive(pid)) {
      await ip(['link', 'delete', name]).catch(() => undefined);
      swept.push(name);
    }
  }
  return swept;
}

/**
 * Checks that this machine can run the pod network: root, `ip` (iproute2, installed by apt
 * when missing), and a network namespace with a veth pair can really be made and removed.
 */
export async function checkPodNetworkSupport(): Promise<string> {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the e2e tests place gateway "pods" in network namespaces (ip netns), which needs root; ' +
        'run the tests as root (the build machines and CI do)',
    );
  }
  await ensureDebianTool({ command: 'ip', pkg: 'iproute2', purpose: 'for the pod network of the e2e tests' });
  const name = `${NETNS_PREFIX}${process.pid}-probe`;
  const veth = `${VETH_PREFIX}${process.pid}-p`;
  try {
    await ip(['netns', 'add', name]);
    await ip(['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name]);
    await ip(['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (error) {
    throw new Error(
      `network namespaces do not work here (${(error as Error).message}); the e2e tests need ` +
        '`ip netns add` and veth pairs (root in a network namespace of its own, or the host)',
    );
  } finally {
    await ip(['netns', 'delete', name]).catch(() => undefined);
    await ip(['link', 'delete', veth]).catch(() => undefined);
  }
  return (await runCommand('ip', ['-V'], { timeoutMs: 5_000 })).stdout.trim();
}

/** The /16 ranges the run may take, first free one wins: 10.244 (Kubernetes' usual) to 10.254. */
function candidatePrefixes(): string[] {
  return Array.from({ length: 11 }, (_, i) => `10.${244 + i}`);
}

/** Creates the run's bridge on the first pod range no address of this machine is in. */
export async function createPodNetwork(): Promise<PodNetwork> {
  await sweepPodNetworkLeftovers();
  const addresses = await ip(['-4', '-o', 'addr', 'show']);
  const prefix = candidatePrefixes().find((p) => !addresses.includes(` inet ${p}.`));
  if (prefix === undefined) throw new Error('every pod range 10.244-10.254.0.0/16 is in use on this machine');
  const bridge = `${BRIDGE_PREFIX}${process.pid}`;
  const hostAddress = `${prefix}.0.1`;
  const stateDir = await mkdtemp(join(tmpdir(), 'sluice-pod-network-'));
  const removeSync = () => {
    try {
      execFileSync('ip', ['link', 'delete', bridge], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  };
  const forget = removeAtExit(removeSync);
  try {
    await ip(['link', 'add', bridge, 'type', 'bridge']);
    await ip(['addr', 'add', `${hostAddress}/16`, 'dev', bridge]);
    await ip(['link', 'set', bridge, 'up']);
  } catch (error) {
    removeSync();
    forget();
    await rm(stateDir, { recursive: true, force: true });
    throw error;
  }
  let removed = false;
  return {
    info: { bridge, cidr: `${prefix}.0.0/16`, hostAddress, prefix, stateDir },
    remove: async () => {
      if (removed) return;
      removed = true;
      forget();
      await ip(['link', 'delete', bridge]).catch(() => undefined);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** One pod's network namespace on the run's network. */
export interface PodSandbox {
  /** The namespace, e.g. `sluice-pod-1234-1-7`. */
  readonly name: string;
  /** The pod's address, e.g. `10.244.1.7`. */
  readonly address: string;
  /** `ip netns exec NAME` and the command: runs it inside the namespace. */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] };
  /** Deletes the namespace (its veth pair goes with it). Idempotent. */
  remove(): Promise<void>;
}

/**
 * A node's share of the pod range: the third octet, claimed by mkdir in the run's state folder
 * so that several harnesses (test files in different workers) never hand out one address twice.
 */
export async function claimNodeSubnet(info: PodNetworkInfo): Promise<number> {
  for (let octet = 1; octet < 255; octet++) {
    try {
      await mkdir(join(info.stateDir, `node-${octet}`));
      return octet;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new Error(`every node subnet of ${info.cidr} is taken`);
}

let vethCounter = 0;

/** Creates the namespace of pod number `host` (2-254) of node subnet `octet`. */
export async function createPodSandbox(
  info: PodNetworkInfo,
  octet: number,
  host: number,
): Promise<PodSandbox> {
  const name = `${NETNS_PREFIX}${process.pid}-${octet}-${host}`;
  vethCounter += 1;
  // Interface names are at most 15 characters: the marker, the pid, a counter.
  const veth = `${VETH_PREFIX}${process.pid}-${vethCounter}`;
  const address = `${info.prefix}.${octet}.${host}`;
  const removeSync = () => {
    try {
      execFileSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  };
  const forget = removeAtExit(removeSync);
  try {
    await ip(['netns', 'add', name]);
    await ip(['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name]);
    await ip(['link', 'set', veth, 'master', info.bridge, 'up']);
    await ip(['-n', name, 'addr', 'add', `${address}/16`, 'dev', 'eth0']);
    await ip(['-n', name, 'link', 'set', 'eth0', 'up']);
    await ip(['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (error) {
    removeSync();
    forget();
    throw error;
  }
  let removed = false;
  return {
    name,
    address,
    wrap: (command, args) => ({ command: 'ip', args: ['netns', 'exec', name, command, ...args] }),
    remove: async () => {
      if (removed) return;
      removed = true;
      forget();
      await ip(['netns', 'delete', name]).catch(() => undefined);
    },
  };
}
