import { canonicalJson } from '../../kernel/canonical-json.ts';

export interface ProducerPlan {
  /** Same name, same settings: the running producer (and its connections) is kept. */
  readonly reuse: readonly string[];
  /** New names, or names whose settings changed: a new producer is built and connected. */
  readonly create: readonly string[];
  /** Names gone, or replaced by a changed producer: closed once their in-flight work ended. */
  readonly retire: readonly string[];
}

/** Pure diff of two producer maps by name and settings. A changed producer is both created and retired. */
export function planProducers(
  previous: Readonly<Record<string, unknown>>,
  next: Readonly<Record<string, unknown>>,
): ProducerPlan {
  const reuse: string[] = [];
  const create: string[] = [];
  const retire: string[] = [];
  for (const [name, config] of Object.entries(next)) {
    const before = Object.hasOwn(previous, name) ? previous[name] : undefined;
    if (before !== undefined && canonicalJson(before) === canonicalJson(config)) reuse.push(name);
    else create.push(name);
  }
  for (const name of Object.keys(previous)) {
    if (!reuse.includes(name)) retire.push(name);
  }
  return { reuse: reuse.sort(), create: create.sort(), retire: retire.sort() };
}
