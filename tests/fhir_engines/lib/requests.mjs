// Transaction requests: every conditional URL (ifNoneExist, conditional update/delete, conditional references)
// may only use search parameters that R4 defines for that resource type (from r4.core's SearchParameter
// resources), and a conditional create must match the very resource it creates, or posting twice duplicates it.

// Parameters that shape a result and select nothing: meaningless (and refused by servers) in a condition.
const RESULT_PARAMETERS = new Set(['_count', '_sort', '_include', '_revinclude', '_summary', '_elements',
  '_total', '_format', '_pretty', '_contained', '_containedType', '_offset']);

/** Parse `a=1&b:exact=2` into [{name, modifier, value}] (values URL-decoded). */
export function parseQuery(query) {
  return query.split('&').filter(Boolean).map((pair) => {
    const eq = pair.indexOf('=');
    const rawName = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
    const [name, modifier] = rawName.split(':');
    return { rawName, name, modifier, value };
  });
}

/** Findings for the search parameters of one conditional URL: [{rule, message, severity}]. */
export function checkConditionalQuery(definitions, resourceType, query, what) {
  const problems = [];
  const known = definitions.searchParameters(resourceType);
  if (!definitions.isResourceType(resourceType)) {
    return [{ severity: 'error', rule: 'conditional-url', message: `${what}: '${resourceType}' is not an R4 resource type` }];
  }
  const parameters = parseQuery(query);
  if (!parameters.length) problems.push({ severity: 'error', rule: 'conditional-url', message: `${what} has no search parameter` });
  for (const { rawName, name, value } of parameters) {
    if (RESULT_PARAMETERS.has(name)) {
      problems.push({ severity: 'error', rule: 'search-param-unknown', message: `${what} uses '${rawName}', a result parameter, not a search criterion` });
      continue;
    }
    if (name.startsWith('_has') || name.includes('.')) {
      const head = name.split('.')[0];
      if (!name.startsWith('_has') && !known.has(head)) {
        problems.push({ severity: 'error', rule: 'search-param-unknown', message: `${what} chains through '${head}', which R4 does not define for ${resourceType}` });
      } else {
        problems.push({ severity: 'unchecked', rule: 'search-param-unknown', message: `${what} uses the chained/reverse parameter '${rawName}'; only its first step is checked` });
      }
      continue;
    }
    if (!known.has(name)) {
      const list = [...known.keys()].filter((k) => !k.startsWith('_')).sort().join(', ');
      problems.push({ severity: 'error', rule: 'search-param-unknown',
        message: `${what} uses search parameter '${name}', which R4 does not define for ${resourceType} (R4 defines: ${list}; common: _id, _lastUpdated, _profile, _security, _source, _tag, ...)` });
    } else if (value === '') {
      problems.push({ severity: 'error', rule: 'conditional-url', message: `${what}: parameter '${name}' has no value` });
    }
  }
  return problems;
}

function tokenMatches(values, wanted) {
  const bar = wanted.indexOf('|');
  const system = bar < 0 ? undefined : wanted.slice(0, bar);
  const code = bar < 0 ? wanted : wanted.slice(bar + 1);
  const candidates = [];
  for (const v of values) {
    if (v === null || v === undefined) continue;
    if (typeof v !== 'object') candidates.push({ system: undefined, code: String(v) });
    else if ('value' in v && ('system' in v || 'type' in v || 'use' in v)) candidates.push({ system: v.system, code: v.value }); // Identifier / ContactPoint
    else if ('code' in v) candidates.push({ system: v.system, code: v.code }); // Coding
    else if (v.coding) for (const c of v.coding) candidates.push({ system: c.system, code: c.code }); // CodeableConcept
  }
  return candidates.some((c) => (system === undefined || (system === '' ? !c.system : c.system === system)) && (code === '' || c.code === code));
}

/**
 * Whether a resource matches the conditional URL it is created under: 'yes', 'no' or {unknown}.
 * Only token, string, uri and _id parameters are evaluated; others make the answer unknown.
 */
export function matchesOwnCondition(definitions, nodes, resourceType, query) {
  // Every parameter must match; one that certainly does not match decides, even if others cannot be evaluated.
  const known = definitions.searchParameters(resourceType);
  let undecided;
  for (const { name, modifier, value } of parseQuery(query)) {
    const answer = parameterMatches(known, nodes, name, modifier, value);
    if (answer === 'no') return 'no';
    if (answer !== 'yes') undecided = undecided ?? answer;
  }
  return undecided ?? 'yes';
}

function parameterMatches(known, nodes, name, modifier, value) {
  if (name === '_id') return nodes.resource.id === value ? 'yes' : 'no';
  const parameter = known.get(name);
  if (!parameter?.expression || modifier) return { unknown: `parameter '${name}${modifier ? ':' + modifier : ''}' is not evaluated` };
  let values;
  try {
    values = nodes.values(parameter.expression);
  } catch (problem) {
    return { unknown: `the expression of '${name}' cannot be evaluated: ${problem.message}` };
  }
  const alternatives = value.split(',');
  if (parameter.type === 'token') return alternatives.some((alt) => tokenMatches(values, alt)) ? 'yes' : 'no';
  if (parameter.type === 'uri') return alternatives.some((alt) => values.includes(alt)) ? 'yes' : 'no';
  if (parameter.type === 'string') {
    const texts = values.flatMap((v) => (typeof v === 'string' ? [v] : Object.values(v ?? {}).filter((x) => typeof x === 'string')));
    return alternatives.some((alt) => texts.some((t) => t.toLowerCase().startsWith(alt.toLowerCase()))) ? 'yes' : 'no';
  }
  return { unknown: `parameter '${name}' of type ${parameter.type} is not evaluated` };
}
