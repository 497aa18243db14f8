import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import type { CommandIo } from '../kernel/command-io.ts';
import { parseCommandLine } from '../kernel/parse-command-line.ts';
import { operatorConfig } from '../operator/operator-config.ts';
import { fleetRenderOptions } from '../operator/render/render-gateway-config.ts';
import { formatIssue } from './read-resources.ts';
import { renderNamespace } from './render-manifests.ts';
import { checkFiles } from './validate-command.ts';

const RENDER_USAGE = `usage: sluice render [--route-provider apisix|gateway-api|none] [--image IMG]
                    [--gateway-tls-secret NAME] [-f] FILE|DIR|- ...

Prints what the operator would apply for the LogRepo and KafkaProducer manifests in
the files, directories (recursively) and standard input (-) given, read as
\`sluice validate\` reads them, as one YAML stream, without a cluster: per
namespace with LogRepos, the gateway config ConfigMap (and the canary track's,
when a repo has a canary weight), each track's Deployment, Service and
PodDisruptionBudget, and the routes. Comments
before each namespace say which repos are part of the config and which are left
out (e.g. a KafkaProducer that is not among the files). Output is deterministic.

  --route-provider P  routes to render (default apisix, the operator's default)
  --image IMG         gateway image of both tracks (default: the operator's)
  --gateway-tls-secret NAME
                      the gateways serve HTTPS with this kubernetes.io/tls Secret, as
                      with the operator's flag (with apisix also an ApisixUpstream per
                      track, scheme https)

Exit status: 0 rendered, 1 invalid manifests (problems on standard error, as
\`sluice validate\` prints them), 2 usage error or unreadable file.`;

/** `sluice render FILE...` */
export async function runRenderCommand(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandLine(() => parse(argv), RENDER_USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const positionals = [...(values.filename ?? []), ...parsed.positionals];
  if (positionals.length === 0) {
    io.stderr.write(`no files given\n\n${RENDER_USAGE}\n`);
    return 2;
  }
  // Flags over defaults only: the environment is ignored so the output depends on the
  // arguments alone.
  const configured = operatorConfig(
    {
      'route-provider': values['route-provider'],
      'stable-image': values.image,
      'gateway-tls-secret': values['gateway-tls-secret'],
    },
    {},
  );
  if (!configured.ok) {
    io.stderr.write(
      `${configured.issues.map((i) => `${i.path}: ${i.message}`).join('\n')}\n\n${RENDER_USAGE}\n`,
    );
    return 2;
  }
  const settings = { fleet: configured.value.fleet, routes: configured.value.routes };
  // Rendered with the fleet's options (listener TLS adds server.tls), as the operator does.
  const checked = await checkFiles(positionals, io, fleetRenderOptions(settings.fleet));
  if (typeof checked === 'number') return checked;
  if (checked.issues.length > 0) {
    for (const issue of checked.issues) io.stderr.write(`${formatIssue(issue)}\n`);
    return 1;
  }
  const parts: string[] = [];
  for (const [namespace, { resources }] of checked.namespaces) {
    if (resources.repos.length === 0) {
      // The operator renders nothing for a namespace without LogRepos.
      parts.push(`# namespace ${namespace}: no LogRepos, nothing to apply\n`);
      continue;
    }
    const rendered = renderNamespace(namespace, resources, settings);
    const comments = rendered.summary.map((line) => `# ${line}\n`).join('');
    const documents = rendered.objects
      .map((object) => `---\n${stringify(object, { lineWidth: 0, aliasDuplicateObjects: false })}`)
      .join('');
    parts.push(comments + documents);
    for (const line of rendered.summary)
      if (line.includes(': left out (')) io.stderr.write(`${namespace}: ${line}\n`);
  }
  io.stdout.write(parts.join(''));
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'route-provider': { type: 'string' },
      image: { type: 'string' },
      'gateway-tls-secret': { type: 'string' },
      filename: { type: 'string', short: 'f', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
