import { NameSchema } from '../../kernel/config-schema.ts';

/** The DNS-1123 label pattern (the gateway's NameSchema): Kubernetes names, repo and producer names. */
export const DNS_LABEL_PATTERN = NameSchema.pattern as string;

const DNS_LABEL = new RegExp(DNS_LABEL_PATTERN);

/** True for a DNS-1123 label: a-z, 0-9 and inner '-', at most 63 characters. */
export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && DNS_LABEL.test(name);
}
