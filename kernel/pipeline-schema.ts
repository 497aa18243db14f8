import {
  CloneType,
  type SchemaOptions,
  type Static,
  type TObject,
  type TProperties,
  type TSchema,
  Type,
} from '@sinclair/typebox';

// The pipeline vocabulary of a repo: decoder, constraint, executers, error
// policy and dead-letter topic. Part of the single schema source (schema.ts
// references these), so every field carries a `kubectl explain` description.
//
// Conditions nest, but the schema is not recursive: `conditionSchema(depth)`
// unrolls all/any/not to a fixed depth. A CRD must be a structural schema,
// which allows neither `$ref` nor recursion; a recursive TypeBox schema would
// have to be cut off with x-kubernetes-preserve-unknown-fields there and lose
// validation and `kubectl explain` below the cut. Three levels of all/any/not
// cover every realistic rule (any boolean formula fits in two: a disjunction of
// conjunctions), and the validator rejects deeper nesting with a path.

/**
 * A copy of `schema` with its own description (and other options). Not
 * `CloneType(schema, options)`: that spreads the schema over the options, so the
 * schema's own description would win.
 */
export const described = <T extends TSchema>(
  schema: T,
  description: string,
  options: SchemaOptions = {},
): T => ({ ...CloneType(schema), ...options, description }) as T;

/**
 * Schema option marking a sub-schema the CRD generator emits as an opaque
 * object (`x-kubernetes-preserve-unknown-fields`): conditions nested two or
 * more levels deep. Spelling the unrolled levels out would make the CRDs
 * several hundred kilobytes; the operator still validates them with this
 * schema and reports violations as a condition.
 */
export const CRD_OPAQUE = 'x-sluice-crd-opaque';

/** Levels of all/any/not a condition may nest. */
export const CONDITION_DEPTH = 3;

export const FieldPathSchema = Type.String({
  minLength: 1,
  maxLength: 256,
  description:
    'A field of the record: a top-level name, or a dotted path (a.b.c) into nested objects. Segments __proto__, constructor and prototype are refused.',
});

export const ReasonSchema = Type.String({
  minLength: 1,
  maxLength: 40,
  pattern: '^[a-z][a-z0-9_]*$',
  description:
    'Name under which the dropped lines are counted (a Prometheus label value and a key of the response body): lower-case letters, digits and underscores.',
});

export const RegexSchema = Type.String({
  minLength: 1,
  maxLength: 512,
  description:
    'A regular expression in RE2 syntax, matched in linear time (no backreferences or lookaround). Unanchored: use ^ and $ to match the whole value; (?i) for case-insensitive.',
});

const TextSchema = (description: string) => Type.String({ maxLength: 1024, description });
const TextListSchema = (description: string) =>
  Type.Array(Type.String({ maxLength: 1024 }), { minItems: 1, maxItems: 1000, description });

const leafProperties = {
  field: Type.Optional(described(FieldPathSchema, 'The field the operators of this condition test.')),
  exists: Type.Optional(
    Type.Boolean({
      description: 'true: the field is present and not null. false: the field is absent or null.',
    }),
  ),
  equals: Type.Optional(
    TextSchema(
      'The field equals this text. Numbers and booleans compare by their JSON text, so quote them: "404", "true".',
    ),
  ),
  in: Type.Optional(TextListSchema('The field equals one of these texts (compared like equals).')),
  notIn: Type.Optional(
    TextListSchema('The field is present and equals none of these texts (compared like equals).'),
  ),
  regex: Type.Optional(described(RegexSchema, `The field's text matches. ${RegexSchema.description}`)),
  prefix: Type.Optional(TextSchema("The field's text starts with this.")),
  suffix: Type.Optional(TextSchema("The field's text ends with this.")),
  contains: Type.Optional(TextSchema("The field's text contains this.")),
  gt: Type.Optional(
    Type.Number({ description: 'The field is a number (or a numeric string) greater than this.' }),
  ),
  gte: Type.Optional(
    Type.Number({ description: 'The field is a number (or a numeric string) at least this.' }),
  ),
  lt: Type.Optional(
    Type.Number({ description: 'The field is a number (or a numeric string) less than this.' }),
  ),
  lte: Type.Optional(
    Type.Number({ description: 'The field is a number (or a numeric string) at most this.' }),
  ),
};

const CONDITION_DESCRIPTION =
  'A condition: either a field test (field plus one or more operators, all of which must hold) or exactly one of all, any, not. A test on an absent field is false, except exists: false.';

/**
 * A condition that may nest all/any/not `depth` more levels. Built bottom-up,
 * so the levels share their inner schema objects.
 */
export function conditionSchema(
  depth: number,
  extra: TProperties = {},
  description = CONDITION_DESCRIPTION,
): TObject {
  if (depth <= 0) {
    return Type.Object(
      { ...leafProperties, ...extra },
      {
        additionalProperties: false,
        [CRD_OPAQUE]: CONDITION_DEPTH > 1,
        description: `${description} (Innermost level: all, any and not nest at most ${CONDITION_DEPTH} levels.)`,
      },
    );
  }
  const inner = conditionSchema(depth - 1);
  return Type.Object(
    {
      ...leafProperties,
      all: Type.Optional(
        Type.Array(inner, { minItems: 1, maxItems: 64, description: 'Every one of these conditions holds.' }),
      ),
      any: Type.Optional(
        Type.Array(inner, {
          minItems: 1,
          maxItems: 64,
          description: 'At least one of these conditions holds.',
        }),
      ),
      not: Type.Optional(described(inner, 'This condition does not hold.')),
      ...extra,
    },
    {
      additionalProperties: false,
      description,
      ...(depth < CONDITION_DEPTH - 1 ? { [CRD_OPAQUE]: true } : {}),
    },
  );
}

export const ConditionSchema = conditionSchema(CONDITION_DEPTH);

/** The static shape of a condition (the schema is unrolled, so it is spelled out here). */
export interface ConditionConfig {
  field?: string;
  exists?: boolean;
  equals?: string;
  in?: string[];
  notIn?: string[];
  regex?: string;
  prefix?: string;
  suffix?: string;
  contains?: string;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  all?: ConditionConfig[];
  any?: ConditionConfig[];
  not?: ConditionConfig;
}

export const ConstraintSchema = conditionSchema(
  CONDITION_DEPTH,
  {
    reason: Type.Optional(
      described(
        ReasonSchema,
        `Reason counted for the lines that fail the constraint. ${ReasonSchema.description}`,
        {
          default: 'constraint',
        },
      ),
    ),
  },
  `Lines that do not satisfy this condition are dropped and counted under reason. Checked right after decoding, before the executers. ${CONDITION_DESCRIPTION}`,
);
export interface ConstraintConfig extends ConditionConfig {
  reason?: string;
}

export const DecoderSchema = Type.Union(
  [
    Type.Object(
      { type: Type.Literal('json', { description: 'Each line is one JSON object.' }) },
      { additionalProperties: false, description: 'Decode each line as one JSON object.' },
    ),
    Type.Object(
      {
        type: Type.Literal('raw', { description: 'Each line is text, stored whole in one field.' }),
        field: described(FieldPathSchema, 'Field that receives the line text.', { default: 'message' }),
      },
      {
        additionalProperties: false,
        description: 'Keep each line as text (valid UTF-8) in one field of a new record.',
      },
    ),
  ],
  {
    default: { type: 'json' },
    description:
      'How a line becomes a record: json (one JSON object per line, the default) or raw text into a field.',
  },
);
export type DecoderConfig = Static<typeof DecoderSchema>;

const executer = <T extends string, P extends TProperties>(type: T, description: string, properties: P) =>
  Type.Object(
    { type: Type.Literal(type, { description: `The executer type: ${type}.` }), ...properties },
    { additionalProperties: false, description },
  );

const FieldListSchema = (description: string) =>
  Type.Array(FieldPathSchema, { minItems: 1, maxItems: 256, description });

export const SplitterSchema = executer(
  'splitter',
  'Splits a string field by a separator into an array of parts.',
  {
    field: described(
      FieldPathSchema,
      'The string field to split. Absent or not a string: the executer fails.',
    ),
    separator: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'The separator text (not a pattern).',
    }),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        description:
          'At most this many parts; the last part keeps the rest of the text, separators included.',
      }),
    ),
    target: Type.Optional(
      described(FieldPathSchema, 'Field that receives the array of parts; default: the split field itself.'),
    ),
  },
);

export const AssignerSchema = executer('assigner', 'Names the parts of an array field (from a splitter).', {
  field: described(
    FieldPathSchema,
    'The array field. Absent, not an array, or fewer parts than names: the executer fails.',
  ),
  names: Type.Array(FieldPathSchema, {
    minItems: 1,
    maxItems: 64,
    description: 'Field names for the parts, in order; extra parts are ignored.',
  }),
  keepSource: Type.Boolean({
    default: false,
    description: 'Keep the array field after assigning (default: remove it).',
  }),
});

export const RenameSchema = executer('rename', 'Renames fields; an absent source field is skipped.', {
  fields: Type.Record(FieldPathSchema, FieldPathSchema, {
    description:
      'Map of current field name to new field name, applied in order. An existing target is overwritten.',
  }),
});

export const ContextSourceSchema = Type.Union(
  [
    Type.Literal('repo'),
    Type.Literal('revision'),
    Type.Literal('receivedAt'),
    Type.Literal('receivedAtMs'),
    Type.Literal('clientAddress'),
    Type.Literal('header'),
    Type.Literal('traceId'),
    Type.Literal('spanId'),
  ],
  {
    description:
      'A request fact: repo (name), revision (config revision), receivedAt (ISO-8601 UTC), receivedAtMs (epoch ms), clientAddress, header (the header named by header), traceId or spanId (from a W3C traceparent header). When the request lacks it, nothing is written.',
  },
);
export type ContextSource = Static<typeof ContextSourceSchema>;

const setProperties = {
  field: described(FieldPathSchema, 'The field to write; missing parent objects are created.'),
  value: Type.Optional(
    Type.Union([Type.String({ maxLength: 1024 }), Type.Number(), Type.Boolean(), Type.Null()], {
      description:
        'A static value, written with its JSON type: a string (at most 1024 characters), a number, true/false, or null (in YAML, quote a number or boolean to write it as text: "404"). Exactly one of value and from.',
    }),
  ),
  from: Type.Optional(ContextSourceSchema),
  header: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 256,
      pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$",
      description:
        'Request header to copy when from is header (case-insensitive; repeated headers are joined with ", ").',
    }),
  ),
};

export const SetSchema = executer(
  'set',
  'Writes a static value or a request fact into a field, replacing any value there.',
  setProperties,
);
export const AddSchema = executer(
  'add',
  'Like set, but only writes when the field is absent or null.',
  setProperties,
);

export const RemoveSchema = executer('remove', 'Removes fields.', {
  fields: FieldListSchema('The fields to remove; absent ones are skipped.'),
});

export const KeepSchema = executer(
  'keep',
  'Keeps only the listed fields (an allow-list) and removes the rest.',
  {
    fields: FieldListSchema('The fields to keep; absent ones are skipped.'),
  },
);

export const ConvertTargetSchema = Type.Union(
  [Type.Literal('int'), Type.Literal('float'), Type.Literal('bool'), Type.Literal('string')],
  {
    description:
      'int: an integer or a decimal integer string. float: a number or a numeric string. bool: true/false, "true"/"false", 1/0, "1"/"0". string: the text of a scalar, the JSON of an object. Anything else makes the executer fail.',
  },
);

export const ConvertSchema = executer(
  'convert',
  'Converts field values to another type; absent fields are skipped.',
  {
    fields: Type.Record(FieldPathSchema, ConvertTargetSchema, {
      description: 'Map of field to target type (int, float, bool, string).',
    }),
  },
);

export const TimestampSchema = executer(
  'timestamp',
  'Parses a time field and writes it as ISO-8601, epoch or a strftime-like pattern. Absent or unparseable: the executer fails.',
  {
    field: described(FieldPathSchema, 'The field holding the time.'),
    format: Type.String({
      minLength: 1,
      maxLength: 128,
      default: 'iso8601',
      description:
        'iso8601 (also rfc3339; no offset means UTC), epoch-s (seconds, fractions allowed), epoch-ms, or a strftime-like pattern: %Y %m %d %e %H %M %S %f (fraction) %z (+hhmm, +hh:mm, Z) %Z (UTC, GMT) %b %B (month names) %a %A (weekday names, ignored) %s (epoch seconds) %T (%H:%M:%S) %F (%Y-%m-%d) %%. Without a zone the time is UTC. Example: %d/%b/%Y:%H:%M:%S %z.',
    }),
    output: Type.String({
      minLength: 1,
      maxLength: 128,
      default: 'iso',
      description:
        'iso: ISO-8601 UTC with milliseconds; epoch-s: integer seconds; epoch-ms: integer milliseconds; or a strftime-like pattern with the directives of format, written in UTC (%f: milliseconds, three digits; %z: +0000; %Z: UTC). Example: %d/%b/%Y:%H:%M:%S %z.',
    }),
    target: Type.Optional(
      described(FieldPathSchema, 'Field that receives the result; default: the same field.'),
    ),
  },
);

export const TruncateSchema = executer(
  'truncate',
  'Caps the length of string fields (in UTF-16 code units, never splitting a surrogate pair).',
  {
    fields: FieldListSchema('String fields to cap; absent and non-string fields are skipped.'),
    maxLength: Type.Integer({ minimum: 1, maximum: 16_777_216, description: 'Longest length kept.' }),
  },
);

export const MaskSchema = executer(
  'mask',
  'Hides sensitive values: whole values by key name or field, or the matches of a pattern inside strings. Values nested deeper than 32 levels are masked whole.',
  {
    keys: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
        minItems: 1,
        maxItems: 256,
        description: 'Property names whose values are replaced wherever they occur, at any depth.',
      }),
    ),
    fields: Type.Optional(
      FieldListSchema(
        'Fields to mask. Without pattern their whole values are replaced; with pattern only the matches inside them.',
      ),
    ),
    pattern: Type.Optional(
      described(
        RegexSchema,
        `Replace the matches of this pattern inside string values (of fields, or of every string when fields is absent). ${RegexSchema.description}`,
      ),
    ),
    replacement: Type.String({
      maxLength: 256,
      default: '***',
      description: 'The text that replaces a hidden value or match.',
    }),
  },
);

export const SampleSchema = executer(
  'sample',
  'Keeps a fixed percentage of the lines that reach it, deterministically: exactly percent lines out of every 100 consecutive ones (a shuffled 100-slot pattern), no random number per line. The others are dropped with reason sample.',
  {
    percent: Type.Integer({ minimum: 0, maximum: 100, description: 'Percentage of lines kept (0-100).' }),
  },
);

const RouteTopicSchema = (description: string) =>
  Type.String({ minLength: 1, maxLength: 249, pattern: '^[a-zA-Z0-9._-]+$', description });

export const RouteRuleSchema = Type.Object(
  {
    when: described(ConditionSchema, 'The condition a line must satisfy to take this rule.'),
    topic: RouteTopicSchema('The topic for lines that match.'),
  },
  { additionalProperties: false, description: 'Lines matching when go to topic.' },
);

export const RouteSchema = executer(
  'route',
  "Chooses the line's topic: by a field's value (field and topics) or by the first matching rule (rules). Unmatched lines keep the repo topic, or go to default.",
  {
    field: Type.Optional(described(FieldPathSchema, 'The field whose text selects the topic (with topics).')),
    topics: Type.Optional(
      Type.Record(Type.String({ maxLength: 1024 }), RouteTopicSchema('A Kafka topic name.'), {
        description: 'Map of field text to topic (with field). Numbers match by their JSON text.',
      }),
    ),
    rules: Type.Optional(
      Type.Array(RouteRuleSchema, {
        minItems: 1,
        maxItems: 64,
        description: 'Rules tried in order; the first match wins.',
      }),
    ),
    default: Type.Optional(
      RouteTopicSchema('Topic for lines no mapping or rule matched; default: the repo topic.'),
    ),
  },
);

export const DropIfSchema = executer('drop-if', 'Drops the lines that satisfy a condition.', {
  when: described(ConditionSchema, 'Lines satisfying this condition are dropped.'),
  reason: described(ReasonSchema, `Reason counted for the dropped lines. ${ReasonSchema.description}`, {
    default: 'drop_if',
  }),
});

export const ExecuterSchema = Type.Union(
  [
    SplitterSchema,
    AssignerSchema,
    RenameSchema,
    SetSchema,
    AddSchema,
    RemoveSchema,
    KeepSchema,
    ConvertSchema,
    TimestampSchema,
    TruncateSchema,
    MaskSchema,
    SampleSchema,
    RouteSchema,
    DropIfSchema,
  ],
  { description: 'One step of the pipeline, selected by type.' },
);
export type ExecuterConfig = Static<typeof ExecuterSchema>;
export type ExecuterOf<T extends ExecuterConfig['type']> = Extract<ExecuterConfig, { type: T }>;

export const ExecutersSchema = Type.Array(ExecuterSchema, {
  maxItems: 64,
  description: 'Steps applied in order to every line that passed the constraint.',
});

export const OnExecuterErrorSchema = Type.Union([Type.Literal('drop'), Type.Literal('pass')], {
  default: 'drop',
  description:
    'When an executer cannot apply to a line: drop (the line is counted invalid under <type>_failed and goes to the dead-letter topic, if any) or pass (the executer leaves the record unchanged and the line goes on).',
});

export const DeadLetterSchema = Type.Object(
  {
    topic: RouteTopicSchema('Topic that receives the original bytes of every invalid line.'),
  },
  {
    additionalProperties: false,
    description:
      'Invalid lines (bad JSON or UTF-8, failed executers) are produced here as they were received, with headers sluice-reason, sluice-repo and sluice-revision. They still count as invalid.',
  },
);
