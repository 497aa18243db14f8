import type { ConditionConfig, ExecuterOf } from '../../../kernel/pipeline-schema.ts';
import { addIssue, fieldAt } from '../compile-scope.ts';
import { compileCondition, type Predicate } from '../constraint/compile-condition.ts';
import { compileGetter, type JsonRecord, textOf } from '../field-path.ts';
import type { CompiledExecuter, ExecuterSite } from './compiled-executer.ts';

type TopicOf = (record: JsonRecord) => string | undefined;

/** Sets the line's topic: by a field's text (field + topics) or by the first matching rule. */
export function compileRoute(config: ExecuterOf<'route'>, site: ExecuterSite): CompiledExecuter {
  const byField = config.field !== undefined || config.topics !== undefined;
  const byRules = config.rules !== undefined;
  if (byField === byRules) {
    addIssue(site.scope, site.path, 'a route needs either field with topics, or rules');
  } else if (byField && (config.field === undefined || config.topics === undefined)) {
    addIssue(site.scope, site.path, 'field and topics go together');
  }
  const topicOf = byRules ? compileRules(config, site) : compileMapping(config, site);
  const fallback = config.default;
  return {
    mutates: false,
    step: (state) => {
      const topic = topicOf(state.record) ?? fallback;
      if (topic !== undefined) state.topic = topic;
      return undefined;
    },
  };
}

function compileMapping(config: ExecuterOf<'route'>, site: ExecuterSite): TopicOf {
  const get = compileGetter(fieldAt(site.scope, `${site.path}/field`, config.field ?? 'field'));
  // A Map, not the config object: field text such as "constructor" must not find a prototype member.
  const topics = new Map(Object.entries(config.topics ?? {}));
  return (record) => {
    const text = textOf(get(record));
    return text === undefined ? undefined : topics.get(text);
  };
}

function compileRules(config: ExecuterOf<'route'>, site: ExecuterSite): TopicOf {
  const rules: Array<{ readonly matches: Predicate; readonly topic: string }> = (config.rules ?? []).map(
    (rule, index) => ({
      matches: compileCondition(rule.when as ConditionConfig, site.scope, `${site.path}/rules/${index}/when`),
      topic: rule.topic,
    }),
  );
  return (record) => {
    for (const rule of rules) if (rule.matches(record)) return rule.topic;
    return undefined;
  };
}
