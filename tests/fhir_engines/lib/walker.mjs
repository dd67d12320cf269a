// The walker: one resource instance against one StructureDefinition snapshot (the R4 base definition of its
// type, then every profile it claims), element by element: cardinality, types, fixed/pattern, slicing,
// bindings, invariants (FHIRPath), extensions (resolved, their own definitions applied, their context),
// references and UCUM units.
import { ElementNode, elementTree, contentReferenceTarget, typeCode } from './structure.mjs';
import { ResourceNodes } from './invariants.mjs';
import { matchSlice } from './slicing.mjs';
import { YES, NO, UCUM, checkUcum } from './terminology.mjs';
import { isPrimitive, primitiveProblem, deepEqual, matchesPattern, fixedOrPattern } from './values.mjs';
import { checkConditionalQuery } from './requests.mjs';

const BEST_PRACTICE = 'http://hl7.org/fhir/StructureDefinition/elementdefinition-bestpractice';
const QUANTITY_TYPES = new Set(['Quantity', 'Age', 'Duration', 'Count', 'Distance', 'SimpleQuantity', 'MoneyQuantity']);
const BASE = 'http://hl7.org/fhir/StructureDefinition/';

/** Where findings about one resource go, and what it is checked in (file entry, bundle, root). */
export class ResourceContext {
  constructor({ resource, fileEntry, rootResource, bundle, sink }) {
    this.resource = resource;
    this.fileEntry = fileEntry;
    this.bundle = bundle; // {fullUrls: Map, type} when the resource is a Bundle entry
    this.nodes = new ResourceNodes(resource, rootResource);
    this.sink = sink;
    this.seen = new Set();
    this.evaluated = new Set();
  }

  report(severity, rule, path, message, profile) {
    const key = `${path}|${rule}|${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const finding = { severity, resourceType: this.resource?.resourceType, id: this.resource?.id,
      fileEntry: this.fileEntry, path, rule, message };
    if (profile) finding.profile = profile;
    this.sink.push(finding);
  }
}

export class Walker {
  constructor(definitions, terminology, references) {
    this.definitions = definitions;
    this.terminology = terminology;
    this.references = references; // resolves references across the inputs (see references.mjs)
    this.conformance = new Map();
  }

  treeOf(sd) {
    return elementTree(sd);
  }

  /** The node whose children describe an element's content: its own, a content reference, or its type's. */
  childrenHolder(node, type, value) {
    if (node.children.size) return node;
    if (node.ed.contentReference) return contentReferenceTarget(this.treeOf(node.sd), node.ed.contentReference);
    const sd = this.typeDefinitionFor(node.ed, type, value)?.sd;
    return sd ? this.treeOf(sd) : undefined;
  }

  /** The definition an element's value follows: a type profile, an extension's own definition, or the base type. */
  typeDefinitionFor(ed, type, value) {
    const types = ed.type ?? [];
    const entry = types.find((t) => typeCode(t) === type) ?? (types.length === 1 ? types[0] : undefined);
    const code = type ?? (entry && typeCode(entry));
    if (!code) return undefined;
    const profile = entry?.profile?.[0];
    if (profile) {
      const sd = this.definitions.structureDefinition(profile);
      return sd ? { sd, url: profile } : { missing: profile, fallback: this.definitions.typeDefinition(code), sd: this.definitions.typeDefinition(code) };
    }
    if (code === 'Extension' && typeof value?.url === 'string') {
      const sd = this.definitions.structureDefinition(value.url);
      if (sd) return { sd, url: value.url, byUrl: true };
      return { missing: value.url, sd: this.definitions.typeDefinition('Extension'), byUrl: true };
    }
    return { sd: this.definitions.typeDefinition(code) };
  }

  /** Validate a resource against its R4 base definition and each profile in meta.profile. */
  validateResource(rc, extraProfiles = []) {
    const resource = rc.resource;
    if (!resource || typeof resource !== 'object' || Array.isArray(resource)) {
      rc.report('error', 'structure', '', 'expected a JSON object with a resourceType');
      return;
    }
    const type = resource.resourceType;
    const base = typeof type === 'string' ? this.definitions.typeDefinition(type) : undefined;
    if (!base || base.kind !== 'resource') {
      rc.report('error', 'unknown-resource-type', type ?? '', `'${type}' is not an R4 resource type`);
      return;
    }
    const previous = this.current;
    this.current = rc;
    try {
      this.walkResource(rc, base, undefined);
      this.walkProfiles(rc, extraProfiles);
    } finally {
      this.current = previous;
    }
  }

  walkProfiles(rc, extraProfiles) {
    const { resource } = rc;
    const type = resource.resourceType;
    const profiles = [...(Array.isArray(resource.meta?.profile) ? resource.meta.profile : []), ...extraProfiles];
    for (const url of profiles) {
      if (typeof url !== 'string') continue;
      const sd = this.definitions.structureDefinition(url.split('|')[0]);
      if (!sd) {
        const missing = this.definitions.unavailablePackage(url);
        if (missing) rc.report('unchecked', 'profile-unavailable', type, `profile ${url} belongs to ${missing.name} ${missing.version}, which is not installed (${missing.why})`);
        else rc.report('error', 'profile-unknown', type, `meta.profile names ${url}, which no loaded package or definition folder defines`);
        continue;
      }
      if (sd.type !== type) {
        rc.report('error', 'profile-unknown', type, `meta.profile ${url} is a profile of ${sd.type}, not of ${type}`);
        continue;
      }
      if (!sd.snapshot) {
        rc.report('error', 'profile-unknown', type, `profile ${url} has no snapshot, so it cannot be applied`);
        continue;
      }
      this.walkResource(rc, sd, url);
    }
  }

  walkResource(rc, sd, profile) {
    const root = this.treeOf(sd);
    const item = { value: rc.resource, type: rc.resource.resourceType, key: '', path: rc.resource.resourceType };
    const scope = { rc, profile, root };
    this.checkConstraints(scope, root.ed, item);
    this.checkObject(scope, rc.resource, root, item, { isResource: true });
  }

  /** Property by property, against the child elements of `holder`. */
  checkObject(scope, object, holder, parent, { isResource = false } = {}) {
    const { rc } = scope;
    if (object === null || typeof object !== 'object' || Array.isArray(object)) {
      rc.report('error', 'type', parent.path, `expected a JSON object for ${parent.type}, found ${JSON.stringify(object)?.slice(0, 60)}`, scope.profile);
      return;
    }
    const groups = new Map(); // child node -> [{prop, type}]
    for (const prop of Object.keys(object)) {
      if (isResource && prop === 'resourceType') continue;
      if (prop === 'fhir_comments') continue;
      const name = prop.startsWith('_') ? prop.slice(1) : prop;
      const found = holder.childForProperty(name);
      if (!found || (prop.startsWith('_') && !isPrimitive(found.type))) {
        rc.report('error', 'unknown-element', `${parent.path}.${prop}`, `'${prop}' is not an element of ${holder.ed.path} in R4`, scope.profile);
        continue;
      }
      if (prop.startsWith('_') && name in object) continue; // gathered with its value
      const list = groups.get(found.node) ?? [];
      if (!list.some((g) => g.prop === name)) list.push({ prop: name, type: found.type });
      groups.set(found.node, list);
    }
    for (const [name, child] of holder.children) {
      const props = groups.get(child) ?? [];
      if (props.length > 1) {
        rc.report('error', 'choice-type', `${parent.path}.${name}`, `${name} is given as ${props.map((p) => p.prop).join(' and ')}; a choice element takes one type`, scope.profile);
      }
      const items = [];
      for (const { prop, type } of props) items.push(...this.gatherItems(scope, object, prop, type, child, parent, isResource));
      this.checkCardinality(scope, child.ed, items.length, `${parent.path}.${name}`);
      if (child.slices.size && child.ed.slicing) this.checkSlices(scope, child, items, parent);
      else for (const item of items) this.checkItem(scope, item, child, parent);
    }
  }

  gatherItems(scope, object, prop, type, child, parent, isResource) {
    const { rc } = scope;
    const value = object[prop];
    const extra = object[`_${prop}`];
    const repeats = (child.ed.base?.max ?? child.ed.max) !== '1';
    const values = value === undefined ? [] : (Array.isArray(value) ? value : [value]);
    const extras = extra === undefined ? [] : (Array.isArray(extra) ? extra : [extra]);
    if (value !== undefined && repeats !== Array.isArray(value)) {
      rc.report('error', 'structure', `${parent.path}.${prop}`, repeats ? `'${prop}' repeats, so it must be a JSON array` : `'${prop}' does not repeat, so it must not be a JSON array`, scope.profile);
    }
    const items = [];
    const count = Math.max(values.length, extras.length);
    for (let i = 0; i < count; i++) {
      const v = values[i] ?? null;
      const x = extras[i] ?? null;
      const suffix = repeats ? `[${i}]` : '';
      if (v === null && x === null) {
        rc.report('error', 'structure', `${parent.path}.${prop}${suffix}`, 'null without a matching primitive extension', scope.profile);
        continue;
      }
      items.push({ value: v, extra: x, type, prop, key: `${parent.key}.${prop}${suffix}`, path: `${parent.path}.${prop}${suffix}`,
        elementPath: `${parent.elementPath ?? parent.type}.${prop}`, index: i, isResourceId: isResource && prop === 'id' });
    }
    return items;
  }

  checkCardinality(scope, ed, count, path) {
    if (count < (ed.min ?? 0)) {
      scope.rc.report('error', 'cardinality-min', path, `${ed.id ?? ed.path}: minimum ${ed.min}, found ${count}`, scope.profile);
    }
    if (ed.max !== undefined && ed.max !== '*' && count > Number(ed.max)) {
      scope.rc.report('error', 'cardinality-max', path, `${ed.id ?? ed.path}: maximum ${ed.max}, found ${count}`, scope.profile);
    }
  }

  checkSlices(scope, child, items, parent) {
    const { rc } = scope;
    const slicing = child.ed.slicing;
    const slices = [...child.slices.values()];
    const assigned = new Map(slices.map((s) => [s, []]));
    const undecidedFor = new Set(); // slices some item might belong to, but that could not be decided
    let lastSliceIndex = -1;
    let seenUnmatched = false;
    for (const item of items) {
      let chosen;
      let undecided;
      for (const slice of slices) {
        const answer = matchSlice(this, item, slice, slicing.discriminator);
        if (answer === YES) {
          chosen = slice;
          break;
        }
        if (answer !== NO) {
          undecided = undecided ?? { slice, reason: answer.unknown };
          undecidedFor.add(slice);
        }
      }
      if (chosen) {
        assigned.get(chosen).push(item);
        const position = slices.indexOf(chosen);
        if (slicing.ordered && position < lastSliceIndex) {
          rc.report('error', 'slice-order', item.path, `slices of ${child.ed.id} must appear in order; ${chosen.ed.sliceName} comes after a later slice`, scope.profile);
        }
        if (slicing.rules === 'openAtEnd' && seenUnmatched) {
          rc.report('error', 'slice-order', item.path, `${child.ed.id} is open at the end: matched slices must come before other items`, scope.profile);
        }
        lastSliceIndex = Math.max(lastSliceIndex, position);
        this.checkItem(scope, item, chosen, parent);
        continue;
      }
      seenUnmatched = true;
      if (undecided) {
        rc.report('unchecked', 'slicing', item.path, `cannot tell whether it belongs to slice ${undecided.slice.ed.sliceName}: ${undecided.reason}`, scope.profile);
      }
      if (slicing.rules === 'closed' && !undecided) {
        rc.report('error', 'slice-closed', item.path, `matches none of the slices of ${child.ed.id} (${slices.map((s) => s.ed.sliceName).join(', ')}), and the slicing is closed`, scope.profile);
      }
      this.checkItem(scope, item, child, parent);
    }
    for (const [slice, matched] of assigned) {
      const where = `${parent.path}.${child.name}:${slice.ed.sliceName}`;
      if (undecidedFor.has(slice) && matched.length < (slice.ed.min ?? 0)) {
        rc.report('unchecked', 'cardinality-min', where, `${slice.ed.id}: minimum ${slice.ed.min}, ${matched.length} certainly matched; others could not be tested`, scope.profile);
        continue;
      }
      this.checkCardinality(scope, slice.ed, matched.length, where);
    }
  }

  /** One value of one element: its constraints, value rules and content. */
  checkItem(scope, item, node, parent) {
    const { rc } = scope;
    const ed = node.ed;
    const type = item.type ?? this.guessType(ed, item.value);
    item.type = type;
    if (!type) {
      rc.report('unchecked', 'type', item.path, `cannot tell the type of ${ed.path}`, scope.profile);
      return;
    }
    this.checkConstraints(scope, ed, item);
    if (isPrimitive(type)) {
      this.checkPrimitive(scope, item, ed, type, parent);
      return;
    }
    if (type === 'Resource' || this.definitions.isResourceType(type)) {
      this.checkNestedResource(scope, item, ed);
      return;
    }
    this.checkFixedPattern(scope, ed, item.value, item.path);
    this.checkBinding(scope, ed, item, type);
    const holder = this.contentFor(scope, item, node, type, parent);
    if (!holder) return;
    if (QUANTITY_TYPES.has(type)) this.checkUcumUnit(scope, item);
    if (type === 'Coding') this.checkCodes(scope, [item.value], item.path);
    if (type === 'CodeableConcept') this.checkCodes(scope, item.value?.coding ?? [], `${item.path}.coding`);
    if (type === 'Reference') this.checkReference(scope, item, ed);
    this.checkObject(scope, item.value, holder, { ...item, elementPath: holder === node ? item.elementPath : holder.ed.path });
  }

  hasUrlElement(type) {
    return Boolean(this.definitions.typeDefinition(type)?.snapshot?.element?.some((e) => e.path === `${type}.url`));
  }

  guessType(ed, value) {
    const types = ed.type ?? [];
    if (types.length === 1) return typeCode(types[0]);
    if (value?.resourceType) return value.resourceType;
    return undefined;
  }

  /** The node whose children the item's content follows; reports unknown and unavailable definitions. */
  contentFor(scope, item, node, type, parent) {
    const { rc } = scope;
    if (node.children.size) return node;
    if (node.ed.contentReference) return contentReferenceTarget(this.treeOf(node.sd), node.ed.contentReference);
    const resolved = this.typeDefinitionFor(node.ed, type, item.value);
    if (resolved?.missing) {
      const missing = this.definitions.unavailablePackage(resolved.missing);
      item.unresolvedExtension = true;
      if (resolved.byUrl && !missing && !resolved.missing.includes(':') && parent?.unresolvedExtension) {
        // a part of a complex extension that is itself unknown: reported once, at the outer extension
      } else if (resolved.byUrl && !missing) {
        rc.report('error', 'extension-unknown', item.path, `extension ${resolved.missing} resolves to no StructureDefinition in the loaded packages or definition folders`, scope.profile);
      } else if (missing) {
        rc.report('unchecked', 'definition-unavailable', item.path, `${resolved.missing} belongs to ${missing.name} ${missing.version}, which is not installed`, scope.profile);
      } else {
        rc.report('error', 'profile-unknown', item.path, `${node.ed.id} requires profile ${resolved.missing}, which no loaded package defines`, scope.profile);
      }
    }
    const sd = resolved?.sd;
    if (!sd) {
      rc.report('unchecked', 'type', item.path, `no definition of type ${type}`, scope.profile);
      return undefined;
    }
    const tree = this.treeOf(sd);
    if (!tree) {
      rc.report('error', 'profile-unknown', item.path, `${sd.url} has no snapshot, so it cannot be applied`, scope.profile);
      return undefined;
    }
    if (resolved.url && !resolved.missing) {
      this.checkConstraints(scope, tree.ed, item); // the type profile's or extension's own root rules
      if (type === 'Extension') this.checkExtensionUse(scope, item, sd, parent);
    } else {
      this.checkConstraints(scope, tree.ed, item); // the data type's root rules (e.g. qty-3)
    }
    return tree;
  }

  checkPrimitive(scope, item, ed, type, parent) {
    const { rc } = scope;
    if (item.value !== null) {
      const problem = primitiveProblem(this.definitions, type, item.value, { resourceId: item.isResourceId });
      if (problem) rc.report('error', 'type', item.path, problem, scope.profile);
      else {
        this.checkFixedPattern(scope, ed, item.value, item.path);
        this.checkBinding(scope, ed, item, type);
      }
    } else if (ed.min > 0 && fixedOrPattern(ed)) {
      this.checkFixedPattern(scope, ed, undefined, item.path);
    }
    if (item.extra !== null && item.extra !== undefined) {
      // The `_element` object of a primitive holds only its id and extensions.
      const holder = this.treeOf(this.definitions.typeDefinition(type));
      if (holder) {
        const limited = new ElementNode(holder.ed, holder.sd);
        for (const [name, child] of holder.children) if (name !== 'value') limited.children.set(name, child);
        this.checkObject(scope, item.extra, limited, { ...item, type });
      }
    }
  }

  checkNestedResource(scope, item, ed) {
    const value = item.value;
    if (!value || typeof value !== 'object' || typeof value.resourceType !== 'string') {
      scope.rc.report('error', 'structure', item.path, 'expected a resource with a resourceType', scope.profile);
      return;
    }
    const allowed = (ed.type ?? []).map(typeCode);
    if (!allowed.includes('Resource') && !allowed.includes(value.resourceType)) {
      scope.rc.report('error', 'type', item.path, `${value.resourceType} is not allowed here (${allowed.join(', ')})`, scope.profile);
    }
    // Each nested resource is validated once, as its own resource, when the base definition is walked.
    if (!scope.profile) this.onNestedResource?.(scope.rc, item);
  }

  checkFixedPattern(scope, ed, value, path) {
    const fixed = fixedOrPattern(ed);
    if (!fixed) return;
    const ok = fixed.kind === 'fixed' ? deepEqual(fixed.value, value) : matchesPattern(fixed.value, value);
    if (!ok) {
      scope.rc.report('error', fixed.kind === 'fixed' ? 'fixed-value' : 'pattern-value', path,
        `${ed.id ?? ed.path} must ${fixed.kind === 'fixed' ? 'be exactly' : 'match the pattern'} ${JSON.stringify(fixed.value)}, found ${JSON.stringify(value)}`, scope.profile);
    }
  }

  checkBinding(scope, ed, item, type) {
    const binding = ed.binding;
    if (!binding?.valueSet || (binding.strength !== 'required' && binding.strength !== 'extensible')) return;
    const { rc } = scope;
    const value = item.value;
    let codings;
    if (isPrimitive(type)) codings = [{ system: undefined, code: value, bare: true }];
    else if (type === 'Coding') codings = [value];
    else if (type === 'CodeableConcept') codings = value?.coding ?? [];
    else if (QUANTITY_TYPES.has(type)) codings = value?.code ? [{ system: value.system, code: value.code }] : [];
    else {
      rc.report('unchecked', `binding-${binding.strength}`, item.path, `binding on a ${type} is not checked`, scope.profile);
      return;
    }
    const vs = binding.valueSet;
    const severity = binding.strength === 'required' ? 'error' : 'warning';
    const rule = `binding-${binding.strength}`;
    if (!codings.length) {
      if (binding.strength === 'required' && type === 'CodeableConcept') {
        rc.report('error', rule, item.path, `no coding from the required value set ${vs} (text only)`, scope.profile);
      }
      return;
    }
    const answers = codings.map((c) => (typeof c?.code === 'string' ? this.terminology.memberOf(vs, c.bare ? undefined : (c.system ?? null), c.code) : NO));
    if (answers.includes(YES)) return;
    const shown = codings.map((c) => (c.bare ? `'${c.code}'` : `${c.system ?? '(no system)'}|${c.code}`)).join(', ');
    const undecided = answers.find((a) => a !== YES && a !== NO);
    if (undecided) {
      rc.report('unchecked', rule, item.path, `cannot decide whether ${shown} is in ${vs}: ${undecided.unknown}`, scope.profile);
      return;
    }
    rc.report(severity, rule, item.path, `${shown} is not in the ${binding.strength} value set ${vs}`, scope.profile);
  }

  checkCodes(scope, codings, path) {
    codings.forEach((coding, i) => {
      if (typeof coding?.system !== 'string' || typeof coding?.code !== 'string') return;
      if (coding.system === UCUM) return; // UCUM codes in a Coding are checked as units below
      const answer = this.terminology.inCodeSystem(coding.system, coding.code);
      if (answer === NO) {
        scope.rc.report('error', 'code-invalid', `${path}${path.endsWith('coding') ? `[${i}]` : ''}`, `'${coding.code}' is not a code of ${coding.system}`, scope.profile);
      }
    });
  }

  checkUcumUnit(scope, item) {
    const quantity = item.value;
    if (quantity?.system !== UCUM || typeof quantity.code !== 'string') return;
    const result = checkUcum(quantity.code);
    if (!result.valid) scope.rc.report('error', 'ucum-invalid', `${item.path}.code`, `'${quantity.code}' is not a valid UCUM unit: ${result.message}`, scope.profile);
  }

  checkReference(scope, item, ed) {
    this.references.checkReference(this, scope, item, ed);
  }

  checkExtensionUse(scope, item, sd, parent) {
    const { rc } = scope;
    const isModifier = sd.snapshot?.element?.[0]?.isModifier === true;
    if (isModifier && item.prop === 'extension') {
      rc.report('error', 'extension-modifier', item.path, `${sd.url} is a modifier extension and must be in modifierExtension`, scope.profile);
    } else if (!isModifier && item.prop === 'modifierExtension') {
      rc.report('error', 'extension-modifier', item.path, `${sd.url} is not a modifier extension`, scope.profile);
    }
    const contexts = sd.context ?? [];
    if (!contexts.length) {
      rc.report('unchecked', 'extension-context', item.path, `${sd.url} declares no context`, scope.profile);
      return;
    }
    const parentPath = (parent.elementPath ?? parent.type ?? '').replace(/\[x\]/g, '');
    const parentType = parent.type;
    let undecidable = false;
    for (const { type, expression } of contexts) {
      if (type === 'element') {
        const expr = expression.replace(/\[x\]/g, '');
        if (expr === 'Element' || expr === parentPath || expr === parentType) return;
        if (parentType && this.definitions.typeDerivesFrom(parentType, expr)) return;
        // R5 names used by the R4 extensions pack: a canonical resource is one with a url (CodeSystem, ValueSet, ...).
        if ((expr === 'CanonicalResource' || expr === 'MetadataResource') && parent.key === '' && this.hasUrlElement(parentType)) return;
        if (parentPath.startsWith(expr) && parentPath[expr.length] === undefined) return;
        if (parentPath && normalisedChoice(parentPath) === normalisedChoice(expr)) return;
      } else if (type === 'extension') {
        if (parentType === 'Extension' && parent.value?.url === expression) return;
      } else {
        undecidable = true;
      }
    }
    const listed = contexts.map((c) => `${c.type}:${c.expression}`).join(', ');
    if (undecidable) rc.report('unchecked', 'extension-context', item.path, `${sd.url} has a FHIRPath context (${listed}) that is not evaluated`, scope.profile);
    else rc.report('error', 'extension-context', item.path, `${sd.url} may only be used on ${listed}, not on ${parentPath}`, scope.profile);
  }

  checkConstraints(scope, ed, item) {
    const { rc } = scope;
    for (const constraint of ed.constraint ?? []) {
      if (!constraint.expression) continue;
      const once = `${item.key}|${constraint.key}|${constraint.expression}`;
      if (rc.evaluated.has(once)) continue;
      rc.evaluated.add(once);
      // fhirpath.js gives hasValue() = false for xhtml (Narrative.div), so ele-1 is decided here for it:
      // a non-empty string is a value.
      const result = constraint.key === 'ele-1' && item.type === 'xhtml'
        ? { ok: (typeof item.value === 'string' && item.value.length > 0) || Boolean(item.extra) }
        : rc.nodes.evaluate(item.key, constraint.expression);
      const label = `${constraint.key}: ${constraint.human}`;
      if (result.unchecked) {
        rc.report('unchecked', 'invariant', item.path, `${label} — ${result.unchecked} (expression: ${constraint.expression})`, scope.profile);
      } else if (!result.ok) {
        const bestPractice = (constraint.extension ?? []).some((e) => e.url === BEST_PRACTICE && e.valueBoolean);
        const severity = constraint.severity === 'error' && !bestPractice ? 'error' : 'warning';
        rc.report(severity, 'invariant', item.path, `${label} (expression: ${constraint.expression})`, scope.profile);
      }
    }
  }

  /** Whether a value conforms to any of the profiles (validated on its own, errors only): YES/NO/{unknown}. */
  conformsTo(value, profiles) {
    const answers = [];
    for (const url of profiles) {
      const sd = this.definitions.structureDefinition(url);
      if (!sd) {
        answers.push({ unknown: `profile ${url} is not available` });
        continue;
      }
      if (sd.kind === 'resource') {
        if (value?.resourceType !== sd.type) {
          answers.push(NO);
          continue;
        }
        if (sd.url === BASE + sd.type || (value.meta?.profile ?? []).includes(url)) {
          answers.push(YES);
          continue;
        }
      }
      const cacheKey = value;
      let byProfile = this.conformance.get(cacheKey);
      if (!byProfile) {
        byProfile = new Map();
        if (value && typeof value === 'object') this.conformance.set(cacheKey, byProfile);
      }
      if (!byProfile.has(url)) {
        const sink = [];
        const rc = new ResourceContext({ resource: sd.kind === 'resource' ? value : { resourceType: 'Basic' }, fileEntry: '', sink });
        const tree = this.treeOf(sd);
        if (sd.kind === 'resource') this.walkResource(rc, sd, url);
        else if (tree) {
          const item = { value, type: sd.type, key: '', path: sd.type };
          this.checkObject({ rc, profile: url, root: tree }, value, tree, item);
        }
        byProfile.set(url, sink.some((f) => f.severity === 'error') ? NO : YES);
      }
      answers.push(byProfile.get(url));
    }
    if (answers.includes(YES)) return YES;
    return answers.find((a) => a !== NO) ?? NO;
  }

  resolveReferenceValue(reference) {
    return this.references.resolve(this.current, reference?.reference)?.resource;
  }

  checkConditional(rc, resourceType, query, what, path) {
    for (const problem of checkConditionalQuery(this.definitions, resourceType, query, what)) {
      rc.report(problem.severity, problem.rule, path, problem.message);
    }
  }
}

function normalisedChoice(path) {
  return path.replace(/\[x\]/g, '');
}

/** Whether any of the coded values (code, Coding or CodeableConcept) is in a value set: YES/NO/{unknown}. */
Walker.prototype.codedValueIn = function codedValueIn(values, valueSet) {
  const answers = [];
  for (const { value } of values) {
    const codings = typeof value === 'string' ? [{ code: value, bare: true }]
      : value?.coding ?? (value?.code ? [value] : []);
    for (const c of codings) {
      if (typeof c.code === 'string') answers.push(this.terminology.memberOf(valueSet, c.bare ? undefined : (c.system ?? null), c.code));
    }
  }
  if (answers.includes(YES)) return YES;
  return answers.find((a) => a !== NO) ?? NO;
};
