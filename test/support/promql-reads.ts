/** The metric names a PromQL expression selects and the label names it matches or groups by. */
export interface PromqlReads {
  metrics: Set<string>;
  labels: Set<string>;
}

// Words PromQL reserves; any other bare identifier not followed by `(` selects a metric.
const keywords = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'atan2',
]);
const numbers = new Set(['inf', 'nan']);

/**
 * Reads an expression as a tokenizer would, not a full parser: enough for the
 * rules and dashboard we write (promtool checks their syntax), so that a
 * metric renamed in one place and not the other is caught.
 */
export function promqlReads(expr: string): PromqlReads {
  const labels = new Set<string>();
  let rest = expr
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ') // Grafana variables, e.g. $__rate_interval
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  rest = rest.replace(/\{([^}]*)\}/g, (_, matchers: string) => {
    for (const [, name] of matchers.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)) if (name) labels.add(name);
    return ' ';
  });
  rest = rest.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, names: string) => {
    for (const name of names.split(',')) if (name.trim()) labels.add(name.trim());
    return ' ';
  });
  rest = rest.replace(/\[[^\]]*\]/g, ' ');
  const metrics = new Set<string>();
  for (const [, name] of rest.matchAll(/(?<![\w:.])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()/g)) {
    if (name && !keywords.has(name) && !numbers.has(name.toLowerCase())) metrics.add(name);
  }
  return { metrics, labels };
}
