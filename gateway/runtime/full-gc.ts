import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/**
 * Returns V8's full garbage collection. A reload turns the previous config's
 * runtime (compiled pipelines, config objects) into old-space garbage; left
 * alone, V8 grows the heap and keeps the pages instead of collecting, so RSS
 * climbs with every reload although nothing leaks. One full collection after
 * the old runtime is retired keeps RSS flat (see `npm run bench:reload`).
 */
export function fullGc(): () => void {
  if (gc === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) {
      gc = exposed;
    } else {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    }
  }
  return gc;
}
