/**
 * The metric names a PromQL expression reads: every identifier that is not a
 * function, keyword, label name (inside `{...}` or a `by (...)`-style clause),
 * or a string. Enough for the expressions this library writes; not a parser.
 */
const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'inf', 'nan']);

export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings (label values, regexes)
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // label lists
    .replace(/\[[^\]]*\]/g, '') // range and subquery selectors
    .replace(/\$__\w+/g, ''); // Grafana's interval variables
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const rest = stripped.slice(m.index! + m[0].length);
    if (/^\s*\(/.test(rest)) continue; // a function call
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names].sort();
}

/** Every expression of a synthesized PrometheusRule and a dashboard ConfigMap among `objects`. */
export function expressions(objects: any[]): { rules: string[]; dashboard: string[] } {
  const rules = objects.filter(o => o.kind === 'PrometheusRule')
    .flatMap(o => o.spec.groups.flatMap((g: any) => g.rules.map((r: any) => r.expr as string)));
  const dashboard = objects.filter(o => o.kind === 'ConfigMap' && o.metadata.labels?.['app.kubernetes.io/component'] === 'dashboard')
    .flatMap(o => Object.values<string>(o.data).flatMap(json => {
      const model = JSON.parse(json);
      return [
        ...model.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr as string)),
        // label_values(<selector>, <label>): the selector is the expression.
        ...model.templating.list.filter((v: any) => v.type === 'query').map((v: any) => (v.definition as string).replace(/^label_values\((.*),\s*\w+\)$/, '$1')),
      ];
    }));
  return { rules, dashboard };
}
