import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  FleetSettingsSchema,
  RouteSettingsSchema,
  TrackSettingsSchema,
} from '../../operator/operator-config.ts';

// The chart's values.schema.json is written by hand (Helm wants plain JSON Schema with its
// own shapes, e.g. image objects and a nullable canary), but every value it passes on to the
// operator must be held to the operator's own TypeBox schema: the same types and limits, so
// `helm install` refuses exactly what the operator would refuse at start-up. Descriptions
// and spelling (enum against anyOf of consts) may differ; constraints may not.

const VALUES_SCHEMA = fileURLToPath(new URL('../../charts/sluice/values.schema.json', import.meta.url));
const values = JSON.parse(readFileSync(VALUES_SCHEMA, 'utf8'));
const CONSTRAINTS = [
  'type',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'pattern',
];

type Schema = Record<string, unknown>;

/** The validation keywords of a schema, recursively; `anyOf` of consts reads as an enum. */
function constraints(schema: Schema): Schema {
  const out: Schema = {};
  for (const key of CONSTRAINTS) if (schema[key] !== undefined) out[key] = schema[key];
  const anyOf = schema.anyOf as Schema[] | undefined;
  const consts = anyOf?.every((s) => 'const' in s) ? anyOf.map((s) => s.const) : undefined;
  const enumeration = (schema.enum as unknown[] | undefined) ?? consts;
  if (enumeration) {
    out.enum = [...enumeration].sort();
    delete out.type;
  }
  if (schema.items) out.items = constraints(schema.items as Schema);
  if (schema.properties) {
    out.properties = Object.fromEntries(
      Object.entries(schema.properties as Record<string, Schema>).map(([k, v]) => [k, constraints(v)]),
    );
  }
  return out;
}

const plain = (schema: unknown): Schema => JSON.parse(JSON.stringify(schema));
const gateway = values.properties.gateway.properties;
const routes = values.properties.routes.properties;

describe('charts/sluice/values.schema.json holds what it passes on to the operator to its schema', () => {
  it.each([
    ['gateway.stable.replicas', gateway.stable.properties.replicas, TrackSettingsSchema.properties.replicas],
    ['gateway.stable.workers', gateway.stable.properties.workers, TrackSettingsSchema.properties.workers],
    [
      'gateway.stable.resources',
      gateway.stable.properties.resources,
      TrackSettingsSchema.properties.resources,
    ],
    ['gateway.canary.replicas', gateway.canary.properties.replicas, TrackSettingsSchema.properties.replicas],
    [
      'gateway.canaryGraceSeconds',
      gateway.canaryGraceSeconds,
      FleetSettingsSchema.properties.canaryGraceSeconds,
    ],
    ['gateway.trustedProxies', gateway.trustedProxies, FleetSettingsSchema.properties.trustedProxies],
    ['routes.provider', routes.provider, RouteSettingsSchema.properties.provider],
    ['routes.hosts', routes.hosts, RouteSettingsSchema.properties.hosts],
    ['routes.priorities', routes.priorities, RouteSettingsSchema.properties.priorities],
    ['routes.parentRefs', routes.parentRefs, RouteSettingsSchema.properties.parentRefs],
  ])('%s', (_, chart, operator) => {
    expect(constraints(chart as Schema)).toEqual(constraints(plain(operator)));
  });

  it('spells an unset ingress class as an empty string (the Deployment then sets none)', () => {
    const { minLength: _unset, ...operator } = constraints(
      plain(RouteSettingsSchema.properties.ingressClassName),
    );
    expect(constraints(routes.ingressClassName)).toEqual(operator);
  });

  it('lets the canary track inherit the stable workers and resources (null or empty)', () => {
    expect(constraints(gateway.canary.properties.workers)).toEqual({
      ...constraints(plain(TrackSettingsSchema.properties.workers)),
      type: ['integer', 'null'],
    });
  });
});
