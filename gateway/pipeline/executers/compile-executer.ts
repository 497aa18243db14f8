import type { ExecuterConfig } from '../../../kernel/pipeline-schema.ts';
import { compileAssigner } from './assigner.ts';
import type { CompiledExecuter, ExecuterSite } from './compiled-executer.ts';
import { compileConvert } from './convert.ts';
import { compileDropIf } from './drop-if.ts';
import { compileKeep } from './keep.ts';
import { compileMask } from './mask.ts';
import { compileRemove } from './remove.ts';
import { compileRename } from './rename.ts';
import { compileRoute } from './route.ts';
import { compileSample } from './sample.ts';
import { compileSetField } from './set-field.ts';
import { compileSplitter } from './splitter.ts';
import { compileTimestamp } from './timestamp.ts';
import { compileTruncate } from './truncate.ts';

/** Compiles one executer by its type. Problems are recorded in the site's scope. */
export function compileExecuter(config: ExecuterConfig, site: ExecuterSite): CompiledExecuter {
  switch (config.type) {
    case 'splitter':
      return compileSplitter(config, site);
    case 'assigner':
      return compileAssigner(config, site);
    case 'rename':
      return compileRename(config, site);
    case 'set':
    case 'add':
      return compileSetField(config, site);
    case 'remove':
      return compileRemove(config, site);
    case 'keep':
      return compileKeep(config, site);
    case 'convert':
      return compileConvert(config, site);
    case 'timestamp':
      return compileTimestamp(config, site);
    case 'truncate':
      return compileTruncate(config, site);
    case 'mask':
      return compileMask(config, site);
    case 'sample':
      return compileSample(config, site);
    case 'route':
      return compileRoute(config, site);
    case 'drop-if':
      return compileDropIf(config, site);
  }
}
