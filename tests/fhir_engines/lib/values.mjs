// Value-level checks: primitive formats, fixed[x]/pattern[x] and JSON shapes.

export const PRIMITIVES = new Set([
  'boolean', 'integer', 'string', 'decimal', 'uri', 'url', 'canonical', 'base64Binary', 'instant', 'date',
  'dateTime', 'time', 'code', 'oid', 'id', 'markdown', 'unsignedInt', 'positiveInt', 'uuid', 'xhtml',
]);
const INTEGERS = { integer: [-2147483648, 2147483647], positiveInt: [1, 2147483647], unsignedInt: [0, 2147483647] };
const RESOURCE_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const REGEX_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/regex';

export function isPrimitive(type) {
  return PRIMITIVES.has(type);
}

/** The JSON property suffix of a choice type back to its type code (`CodeableConcept`, `dateTime`). */
export function typeFromSuffix(suffix) {
  const lowered = suffix.charAt(0).toLowerCase() + suffix.slice(1);
  return PRIMITIVES.has(lowered) ? lowered : suffix;
}

const regexCache = new Map();

/** The value regex HL7 gives for a primitive type (from its StructureDefinition), or null. */
function primitiveRegex(definitions, type) {
  if (regexCache.has(type)) return regexCache.get(type);
  const sd = definitions.typeDefinition(type);
  const valueElement = sd?.snapshot?.element?.find((e) => e.path === `${type}.value`);
  const source = valueElement?.type?.[0]?.extension?.find((e) => e.url === REGEX_EXTENSION)?.valueString;
  const regex = source ? new RegExp(`^(?:${source})$`, 'u') : null;
  regexCache.set(type, regex);
  return regex;
}

/** Problems with one primitive value (without its extensions): wrong JSON type, range or format. */
export function primitiveProblem(definitions, type, value, { resourceId = false } = {}) {
  if (type === 'boolean') return typeof value === 'boolean' ? null : `expected true or false, found ${JSON.stringify(value)}`;
  if (type in INTEGERS) {
    if (typeof value !== 'number' || !Number.isInteger(value)) return `expected a JSON integer, found ${JSON.stringify(value)}`;
    const [low, high] = INTEGERS[type];
    return value < low || value > high ? `${value} is outside the range of ${type} (${low}..${high})` : null;
  }
  if (type === 'decimal') return typeof value === 'number' && Number.isFinite(value) ? null : `expected a JSON number, found ${JSON.stringify(value)}`;
  if (typeof value !== 'string') return `expected a JSON string for ${type}, found ${JSON.stringify(value)}`;
  if (resourceId) return RESOURCE_ID.test(value) ? null : `'${value}' is not a valid resource id (1-64 of A-Z a-z 0-9 - .)`;
  if (type === 'xhtml') return null; // checked by the Narrative invariants (txt-1, txt-2)
  if (value.trim() === '' && value.length > 0) return 'a string must not be only whitespace';
  if (value === '') return 'empty strings are not allowed in FHIR JSON';
  const regex = primitiveRegex(definitions, type);
  if (regex && !regex.test(value)) return `'${value}' is not a valid ${type}`;
  return null;
}

export function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (typeof a === 'object') {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** FHIR pattern matching: every value in the pattern is present in the instance (arrays: each pattern item matched). */
export function matchesPattern(pattern, value) {
  if (pattern === null || typeof pattern !== 'object') return pattern === value;
  if (value === null || value === undefined || typeof value !== 'object') return false;
  if (Array.isArray(pattern)) {
    const values = Array.isArray(value) ? value : [value];
    return pattern.every((p) => values.some((v) => matchesPattern(p, v)));
  }
  return Object.entries(pattern).every(([key, p]) => matchesPattern(p, value[key]));
}

/** The fixed[x] or pattern[x] of an element definition: {kind: 'fixed'|'pattern', value} or undefined. */
export function fixedOrPattern(ed) {
  for (const key of Object.keys(ed)) {
    if (key.startsWith('fixed') && key.length > 5) return { kind: 'fixed', value: ed[key] };
    if (key.startsWith('pattern') && key.length > 7) return { kind: 'pattern', value: ed[key] };
  }
  return undefined;
}
