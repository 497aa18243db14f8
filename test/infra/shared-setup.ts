import type { ProvidedContext } from 'vitest';
import type { TestProject } from 'vitest/node';

// Vitest runs the globalSetup of every project in its one main process. Without sharing,
// the first project's setup starts a broker (or apiserver) and exports KAFKA_BROKERS (or
// KUBECONFIG); the next project's setup then takes that for an outside cluster, which it may
// not stop, pause or restart, and the fault tests of that project lose their control. So
// the first setup of a run starts the part, every later one gets the very same provided
// values, and the last teardown stops it. The registry lives on globalThis because each
// project may load the setup module afresh.

type Provided = Partial<ProvidedContext>;

export interface StartedPart {
  readonly provided: Provided;
  teardown(): Promise<void>;
}

interface Entry {
  readonly started: Promise<StartedPart>;
  users: number;
}

const REGISTRY = Symbol.for('sluice.test-infra.shared-parts');
const holder = globalThis as Record<symbol, Map<string, Entry> | undefined>;
holder[REGISTRY] ??= new Map();
const registry = holder[REGISTRY];

/**
 * Starts the part named `name` once per run (or joins the one started), provides its values
 * to `project`, and resolves with this project's teardown.
 */
export async function provideSharedPart(
  name: string,
  project: TestProject,
  start: () => Promise<StartedPart>,
): Promise<() => Promise<void>> {
  let entry = registry.get(name);
  if (!entry) {
    entry = { started: start(), users: 0 };
    registry.set(name, entry);
    // A failed start is not cached: the next project tries again (and fails loudly too).
    entry.started.catch(() => registry.delete(name));
  }
  entry.users += 1;
  const part = await entry.started;
  for (const [key, value] of Object.entries(part.provided)) {
    project.provide(key as keyof ProvidedContext, value as never);
  }
  const joined = entry;
  return async () => {
    joined.users -= 1;
    if (joined.users > 0) return;
    registry.delete(name);
    await part.teardown();
  };
}
