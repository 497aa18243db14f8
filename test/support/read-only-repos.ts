// Repos whose pipeline changes no record, some reading no field (they decode with the
// read-only decoder) and one of each kind of field read: the cases held to the general path.

export const readOnlyRepos: Array<[string, Record<string, unknown>]> = [
  ['pass-through', {}],
  ['pass-through with a dead-letter topic', { deadLetter: { topic: 'logs.dead' } }],
  [
    'a sampler and the trace context, no field read',
    {
      deadLetter: { topic: 'logs.dead' },
      headers: { traceContext: true },
      executers: [{ type: 'sample', percent: 30 }],
    },
  ],
  ['a key and a constraint', { key: 'host', constraint: { field: 'status', exists: true } }],
  [
    'conditions on nested and prototype-named fields',
    {
      key: 'edge.pop',
      constraint: {
        any: [
          { field: 'toString', equals: 'own' },
          { field: 'edge.ids.1', gte: 1 },
          { not: { field: 'ua', regex: '^curl' } },
        ],
      },
    },
  ],
  [
    'drop-if, sample and both kinds of route',
    {
      deadLetter: { topic: 'logs.dead' },
      executers: [
        { type: 'drop-if', when: { field: 'path', prefix: '/healthz' }, reason: 'health_check' },
        { type: 'sample', percent: 50 },
        { type: 'route', rules: [{ when: { field: 'status', gte: 500 }, topic: 'logs.errors' }] },
        { type: 'route', field: 'service', topics: { a: 'logs.a', constructor: 'logs.c' } },
      ],
    },
  ],
  [
    'record headers from fields and the trace context',
    {
      headers: { traceContext: true, fromFields: { 'x-host': 'host', 'x-pop': 'edge.pop', 'x-n': 'status' } },
    },
  ],
];
