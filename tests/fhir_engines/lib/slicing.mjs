// Slice matching by discriminator (value, pattern, type, profile, exists), as ElementDefinition.slicing
// defines it. Each answer is YES, NO or {unknown: reason}.
import { YES, NO, unknown } from './terminology.mjs';
import { typeCode } from './structure.mjs';
import { deepEqual, matchesPattern, fixedOrPattern, typeFromSuffix } from './values.mjs';

function splitPath(path) {
  // 'extension(\'http://x\').value' -> ["extension('http://x')", 'value']; dots inside quotes/parentheses stay.
  const parts = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const ch of path) {
    if (ch === "'") quoted = !quoted;
    if (!quoted && ch === '(') depth++;
    if (!quoted && ch === ')') depth--;
    if (ch === '.' && depth === 0 && !quoted) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  if (current) parts.push(current);
  return parts;
}

function argument(segment) {
  const match = /\('([^']*)'\)|\(([^)]*)\)/.exec(segment);
  return match ? (match[1] ?? match[2]) : undefined;
}

/** Values at a discriminator path inside one instance: [{value, type}] or {unknown}. */
function dataAt(walker, item, path) {
  let values = [{ value: item.value, type: item.type }];
  for (const segment of splitPath(path)) {
    if (segment === '$this') continue;
    const next = [];
    if (segment === 'resolve()') {
      for (const v of values) {
        const target = walker.resolveReferenceValue(v.value);
        if (!target) return unknown(`reference ${v.value?.reference} cannot be resolved to test a profile discriminator`);
        next.push({ value: target, type: target.resourceType });
      }
    } else if (segment.startsWith('extension(')) {
      const url = argument(segment);
      for (const v of values) for (const ext of v.value?.extension ?? []) if (ext.url === url) next.push({ value: ext, type: 'Extension' });
    } else if (segment.startsWith('ofType(')) {
      const wanted = argument(segment);
      next.push(...values.filter((v) => v.type === wanted));
    } else if (segment.includes('(')) {
      return unknown(`discriminator path '${path}' uses ${segment}, which is not supported`);
    } else {
      for (const v of values) {
        if (v.value === null || typeof v.value !== 'object') continue;
        for (const [prop, raw] of Object.entries(v.value)) {
          let type;
          if (prop === segment) type = segment === 'resource' ? raw?.resourceType : undefined;
          else if (prop.startsWith(segment) && /^[A-Z]/.test(prop.slice(segment.length))) type = typeFromSuffix(prop.slice(segment.length));
          else continue;
          for (const x of Array.isArray(raw) ? raw : [raw]) {
            next.push({ value: x, type: type ?? (segment === 'resource' ? x?.resourceType : undefined) });
          }
        }
      }
    }
    values = next;
  }
  return values;
}

/** The element definition at a discriminator path inside a slice. */
function definitionAt(walker, sliceNode, path) {
  let node = sliceNode;
  let targetProfiles = null;
  for (const segment of splitPath(path)) {
    if (segment === '$this' || segment.startsWith('ofType(')) continue;
    if (segment === 'resolve()') {
      targetProfiles = (node.ed.type ?? []).flatMap((t) => t.targetProfile ?? []);
      const sd = targetProfiles.length === 1 ? walker.definitions.structureDefinition(targetProfiles[0]) : undefined;
      node = sd ? walker.treeOf(sd) : undefined;
      if (!node) return { targetProfiles };
      continue;
    }
    const holder = walker.childrenHolder(node);
    if (!holder) return undefined;
    if (segment.startsWith('extension(')) {
      const url = argument(segment);
      const extensionNode = holder.children.get('extension');
      node = [...(extensionNode?.slices.values() ?? [])].find((s) => (s.ed.type ?? []).some((t) => (t.profile ?? []).includes(url)));
    } else {
      node = holder.children.get(segment) ?? holder.children.get(`${segment}[x]`);
    }
    if (!node) return undefined;
  }
  return { node, targetProfiles };
}

/** Whether one instance belongs to a slice. */
export function matchSlice(walker, item, sliceNode, discriminators) {
  if (!discriminators?.length) return unknown('the slicing has no discriminator');
  const results = [];
  for (const { type, path } of discriminators) {
    const values = dataAt(walker, item, path);
    if (values.unknown) return values;
    const definition = definitionAt(walker, sliceNode, path);
    if (!definition) return unknown(`no definition at '${path}' in slice ${sliceNode.ed.id}`);
    const ed = definition.node?.ed;
    if (type === 'value' || type === 'pattern') {
      let fixed = ed && fixedOrPattern(ed);
      if (!fixed && ed) {
        // An extension slice fixes its url in the extension's own definition.
        const holder = walker.childrenHolder(definition.node);
        const url = holder?.children.get('url')?.ed?.fixedUri;
        if (path === '$this' && url) fixed = { kind: 'fixed', value: url };
      }
      if (!fixed && ed?.binding?.strength === 'required' && ed.binding.valueSet) {
        // Slicing by a value set (as US Core does): the slice takes the codes its required binding allows.
        results.push(walker.codedValueIn(values, ed.binding.valueSet));
        if (results[results.length - 1] !== YES && results[results.length - 1] !== NO) return results.pop();
        continue;
      }
      if (!fixed) {
        if (path === 'url' || path.endsWith('.url')) {
          const profiles = (sliceNode.ed.type ?? []).flatMap((t) => t.profile ?? []);
          if (profiles.length) {
            results.push(values.some((v) => profiles.includes(v.value)) ? YES : NO);
            continue;
          }
        }
        return unknown(`slice ${sliceNode.ed.id} has no fixed or pattern value at '${path}'`);
      }
      const matches = fixed.kind === 'fixed' && type === 'value'
        ? values.some((v) => deepEqual(fixed.value, v.value))
        : values.some((v) => matchesPattern(fixed.value, v.value));
      results.push(matches ? YES : NO);
    } else if (type === 'type') {
      const types = (ed?.type ?? []).map(typeCode);
      if (!types.length) return unknown(`slice ${sliceNode.ed.id} names no type at '${path}'`);
      results.push(values.some((v) => types.includes(v.type)) ? YES : NO);
    } else if (type === 'profile') {
      const profiles = definition.targetProfiles ?? (ed?.type ?? []).flatMap((t) => t.profile ?? []);
      if (!profiles.length) return unknown(`slice ${sliceNode.ed.id} names no profile at '${path}'`);
      const answers = values.map((v) => walker.conformsTo(v.value, profiles));
      if (answers.some((a) => a === YES)) results.push(YES);
      else if (answers.every((a) => a === NO)) results.push(NO);
      else return answers.find((a) => a !== YES && a !== NO);
    } else if (type === 'exists') {
      if (ed?.min > 0) results.push(values.length ? YES : NO);
      else if (ed?.max === '0') results.push(values.length ? NO : YES);
      else return unknown(`slice ${sliceNode.ed.id} neither requires nor forbids '${path}'`);
    } else {
      return unknown(`discriminator type ${type} is not supported`);
    }
  }
  return results.every((r) => r === YES) ? YES : NO;
}
