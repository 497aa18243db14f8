import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, normalize, relative, sep } from 'node:path';

// The layering of the code base, held by test/unit/import-direction.test.ts:
// - kernel/ (config schemas, canonical JSON, command-line parsing, command I/O) is shared by
//   both planes and imports neither of them, nor the CLI;
// - gateway/ never imports the operator or the CLI;
// - operator/ reaches the gateway only through its config validator, so what it renders is
//   checked by the very code the pods run; everything else it shares comes from kernel/.
// Tests live with their code and obey the same rules (they may also use test/).

export interface ImportViolation {
  readonly file: string;
  readonly imports: string;
  readonly rule: string;
}

interface Rule {
  readonly from: string;
  readonly forbidden: readonly string[];
  readonly allowed?: readonly string[];
  readonly why: string;
}

export const IMPORT_RULES: readonly Rule[] = [
  {
    from: 'kernel/',
    forbidden: ['gateway/', 'operator/', 'cli/', 'bin/', 'bench/', 'test/'],
    why: 'the shared kernel imports neither plane',
  },
  {
    from: 'gateway/',
    forbidden: ['operator/', 'cli/', 'bin/', 'bench/'],
    why: 'the gateway never imports the operator or the CLI',
  },
  {
    from: 'operator/',
    forbidden: ['gateway/', 'cli/', 'bin/', 'bench/'],
    allowed: ['gateway/config/parse-config.ts'],
    why: 'the operator reaches the gateway only through its config validator; shared code lives in kernel/',
  },
];

const SPECIFIER = /(?:from\s+|import\s*\(\s*|import\s+|vi\.mock\(\s*)['"](\.\.?\/[^'"]+)['"]/g;

/** Pure: the forbidden relative imports among `files` (project-relative path → source text). */
export function importViolations(files: ReadonlyMap<string, string>): ImportViolation[] {
  const out: ImportViolation[] = [];
  for (const [file, text] of files) {
    const rule = IMPORT_RULES.find((candidate) => file.startsWith(candidate.from));
    if (!rule) continue;
    for (const match of text.matchAll(SPECIFIER)) {
      const target = normalize(join(dirname(file), match[1] as string))
        .split(sep)
        .join('/');
      if (rule.allowed?.includes(target)) continue;
      if (rule.forbidden.some((prefix) => target.startsWith(prefix)) || target.startsWith('../')) {
        out.push({ file, imports: target, rule: rule.why });
      }
    }
  }
  return out;
}

/** Every TypeScript file under the given top-level folders, by project-relative path. */
export async function sourceFiles(root: string, folders: readonly string[]): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (/\.(c|m)?ts$/.test(entry.name)) {
        files.set(relative(root, path).split(sep).join('/'), await readFile(path, 'utf8'));
      }
    }
  };
  for (const folder of folders) await walk(join(root, folder));
  return files;
}
