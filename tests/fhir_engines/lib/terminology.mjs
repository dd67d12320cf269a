// Value set membership from the loaded packages, without a terminology server. Every answer is YES, NO or
// UNKNOWN (with the reason): a value set that includes a code system we do not hold (SNOMED CT, LOINC, …) or
// a filter we do not implement is never guessed.
import ucum from '@lhncbc/ucum-lhc';

export const YES = 'yes';
export const NO = 'no';
export const UCUM = 'http://unitsofmeasure.org';

const ucumUtils = ucum.UcumLhcUtils.getInstance();

export function unknown(reason) {
  return { unknown: reason };
}

/** Whether a UCUM code is valid, and why not. */
export function checkUcum(code) {
  const result = ucumUtils.validateUnitString(code, false);
  return result.status === 'valid' ? { valid: true } : { valid: false, message: (result.msg ?? []).join('; ') };
}

function all(results) {
  // AND of tri-state answers
  if (results.some((r) => r === NO)) return NO;
  const unknowns = results.filter((r) => r !== YES);
  return unknowns.length ? unknowns[0] : YES;
}

function any(results) {
  // OR of tri-state answers
  if (results.some((r) => r === YES)) return YES;
  const unknowns = results.filter((r) => r !== NO);
  return unknowns.length ? unknowns[0] : NO;
}

export class Terminology {
  constructor(definitions) {
    this.definitions = definitions;
    this.conceptIndex = new WeakMap();
  }

  /** code -> {concept, parents} for a CodeSystem, including nested concepts and `parent` properties. */
  concepts(cs) {
    let index = this.conceptIndex.get(cs);
    if (index) return index;
    index = new Map();
    const visit = (list, parent) => {
      for (const concept of list ?? []) {
        const entry = index.get(concept.code) ?? { concept, parents: new Set() };
        if (parent) entry.parents.add(parent);
        for (const property of concept.property ?? []) {
          if ((property.code === 'parent' || property.code === 'subsumedBy') && property.valueCode) {
            entry.parents.add(property.valueCode);
          }
        }
        index.set(concept.code, entry);
        visit(concept.concept, concept.code);
      }
    };
    visit(cs.concept, undefined);
    this.conceptIndex.set(cs, index);
    return index;
  }

  codeSystem(system) {
    return this.definitions.resolve(system, 'CodeSystem');
  }

  /** Whether `code` is defined in the code system `system`. */
  inCodeSystem(system, code) {
    if (system === UCUM) return checkUcum(code).valid ? YES : NO;
    const cs = this.codeSystem(system);
    if (!cs) return unknown(`code system ${system} is not available here`);
    if (cs.content !== 'complete') return unknown(`code system ${system} is only a ${cs.content} here`);
    const index = this.concepts(cs);
    if (index.has(code)) return YES;
    if (cs.caseSensitive === false && [...index.keys()].some((c) => c.toLowerCase() === code.toLowerCase())) return YES;
    return NO;
  }

  isA(cs, code, ancestor, strict) {
    const index = this.concepts(cs);
    if (!index.has(code)) return false;
    if (!strict && code === ancestor) return true;
    const seen = new Set();
    const stack = [...index.get(code).parents];
    while (stack.length) {
      const parent = stack.pop();
      if (parent === ancestor) return true;
      if (seen.has(parent)) continue;
      seen.add(parent);
      stack.push(...(index.get(parent)?.parents ?? []));
    }
    return false;
  }

  propertyValue(concept, property) {
    return (concept.property ?? []).filter((p) => p.code === property)
      .map((p) => p.valueCode ?? p.valueString ?? p.valueCoding?.code ?? p.valueBoolean ?? p.valueInteger)
      .map(String);
  }

  filterMatches(system, filter, code) {
    const cs = this.codeSystem(system);
    if (!cs || cs.content !== 'complete') return unknown(`filter on code system ${system}, which is not available here`);
    const index = this.concepts(cs);
    const entry = index.get(code);
    if (!entry) return NO;
    const { property, op, value } = filter;
    if (property === 'concept' || property === 'code') {
      if (op === 'is-a') return this.isA(cs, code, value, false) ? YES : NO;
      if (op === 'descendent-of') return this.isA(cs, code, value, true) ? YES : NO;
      if (op === 'is-not-a') return this.isA(cs, code, value, false) ? NO : YES;
      if (op === 'in') return value.split(',').map((v) => v.trim()).includes(code) ? YES : NO;
      if (op === 'not-in') return value.split(',').map((v) => v.trim()).includes(code) ? NO : YES;
      if (op === '=') return code === value ? YES : NO;
      if (op === 'regex') return new RegExp(`^(?:${value})$`).test(code) ? YES : NO;
      return unknown(`filter ${property} ${op} is not implemented`);
    }
    const values = this.propertyValue(entry.concept, property);
    if (op === '=') return values.includes(value) ? YES : NO;
    if (op === 'in') return value.split(',').some((v) => values.includes(v.trim())) ? YES : NO;
    if (op === 'exists') return (values.length > 0) === (value === 'true') ? YES : NO;
    if (op === 'regex') return values.some((v) => new RegExp(`^(?:${value})$`).test(v)) ? YES : NO;
    return unknown(`filter ${property} ${op} is not implemented`);
  }

  includes(inc, system, code, depth) {
    const parts = [];
    if (inc.system) {
      if (system !== undefined && system !== inc.system) return NO;
      if (inc.concept) parts.push(inc.concept.some((c) => c.code === code) ? YES : NO);
      else if (inc.filter?.length) parts.push(all(inc.filter.map((f) => this.filterMatches(inc.system, f, code))));
      else parts.push(this.inCodeSystem(inc.system, code));
    }
    for (const vs of inc.valueSet ?? []) parts.push(this.memberOf(vs, system, code, depth + 1));
    return parts.length ? all(parts) : unknown('include without system or value set');
  }

  /**
   * Whether (system, code) is in the value set. `system` undefined means a bare `code` element, which matches
   * a code of any system the value set includes.
   */
  memberOf(canonical, system, code, depth = 0) {
    if (depth > 20) return unknown(`value set ${canonical} nests too deep`);
    const vs = this.definitions.resolve(canonical, 'ValueSet');
    if (!vs) {
      const missing = this.definitions.unavailablePackage(canonical);
      return unknown(`value set ${canonical} is not available here${missing ? ` (package ${missing.name} is not on the registries)` : ''}`);
    }
    if (vs.expansion?.contains && !vs.compose) {
      const flat = [];
      const visit = (list) => list?.forEach((c) => { flat.push(c); visit(c.contains); });
      visit(vs.expansion.contains);
      return flat.some((c) => c.code === code && (system === undefined || c.system === system)) ? YES : NO;
    }
    const included = (vs.compose?.include ?? []).map((inc) => this.includes(inc, system, code, depth));
    let result = included.length ? any(included) : unknown(`value set ${canonical} has no compose`);
    if (result === YES) {
      const excluded = any((vs.compose?.exclude ?? []).map((exc) => this.includes(exc, system, code, depth)));
      if (excluded === YES) result = NO;
      else if (excluded !== NO && (vs.compose?.exclude ?? []).length) result = excluded;
    }
    return result;
  }
}
