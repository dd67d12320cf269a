// References: resolved inside their Bundle (by fullUrl, as FHIR's bundle rules say) or, for NDJSON and loose
// resources, among all inputs of the run (`Type/id`); their target type must be allowed, their target profile met.
import { typeCode } from './structure.mjs';
import { YES, NO } from './terminology.mjs';

const BASE = 'http://hl7.org/fhir/StructureDefinition/';
const RELATIVE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

export class ReferenceIndex {
  constructor(definitions) {
    this.definitions = definitions;
    this.loose = new Map(); // 'Type/id' -> resource, for NDJSON lines and standalone resources
  }

  addLoose(resource) {
    if (resource?.resourceType && resource.id) this.loose.set(`${resource.resourceType}/${resource.id}`, resource);
  }

  /** {resource} | {conditional: [type, query]} | {contained: resource|undefined} | {unresolved: kind} */
  resolve(rc, reference) {
    if (typeof reference !== 'string' || !rc) return undefined;
    if (reference.startsWith('#')) {
      const root = rc.nodes.env.rootResource;
      if (reference === '#') return { resource: root };
      return { resource: (root?.contained ?? []).find((c) => c.id === reference.slice(1)), contained: true };
    }
    const bundle = rc.bundle;
    if (bundle) {
      const hit = bundle.fullUrls.get(reference);
      if (hit) return { resource: hit };
      const relative = RELATIVE.exec(reference);
      if (relative) {
        for (const [fullUrl, resource] of bundle.fullUrls) {
          if (fullUrl.endsWith(`/${relative[1]}/${relative[2]}`)) return { resource };
        }
      }
    } else {
      const relative = RELATIVE.exec(reference);
      if (relative && this.loose.has(`${relative[1]}/${relative[2]}`)) return { resource: this.loose.get(`${relative[1]}/${relative[2]}`) };
    }
    const conditional = /^([A-Z][A-Za-z]+)\?(.*)$/.exec(reference);
    if (conditional) return { conditional: [conditional[1], conditional[2]] };
    if (reference.startsWith('urn:uuid:') || reference.startsWith('urn:oid:')) return { unresolved: 'urn' };
    if (RELATIVE.test(reference)) return { unresolved: 'relative' };
    return { unresolved: 'absolute' };
  }

  targetType(reference, resolved, declared) {
    if (resolved?.resource) return resolved.resource.resourceType;
    if (resolved?.conditional) return resolved.conditional[0];
    const relative = RELATIVE.exec(reference ?? '') ?? /\/([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}$/.exec(reference ?? '');
    return relative?.[1] ?? declared;
  }

  checkReference(walker, scope, item, ed) {
    const { rc } = scope;
    const value = item.value;
    const reference = value?.reference;
    if (typeof reference !== 'string') return;
    const resolved = this.resolve(rc, reference);
    const path = `${item.path}.reference`;
    if (resolved.contained && !resolved.resource) {
      rc.report('error', 'reference-unresolved', path, `'${reference}' names no contained resource`, scope.profile);
    }
    if (resolved.unresolved === 'urn') {
      rc.report('error', 'reference-unresolved', path, rc.bundle
        ? `'${reference}' is not the fullUrl of any entry in this bundle`
        : `'${reference}' is a bundle-local id, but this resource is not in a bundle`, scope.profile);
    } else if (resolved.unresolved === 'relative') {
      if (rc.bundle) {
        rc.report('warning', 'reference-unresolved', path, `'${reference}' is not in this bundle; it must already exist on the receiving server`, scope.profile);
      } else {
        rc.report('error', 'reference-unresolved', path, `'${reference}' names no resource among the files validated together`, scope.profile);
      }
    } else if (resolved.unresolved === 'absolute') {
      rc.report('unchecked', 'reference-unresolved', path, `'${reference}' points outside the inputs`, scope.profile);
    } else if (resolved.conditional) {
      if (rc.bundle?.type !== 'transaction' && rc.bundle?.type !== 'batch') {
        rc.report('error', 'reference-unresolved', path, `conditional reference '${reference}' is only allowed in a transaction`, scope.profile);
      } else {
        walker.checkConditional(rc, resolved.conditional[0], resolved.conditional[1], `conditional reference '${reference}'`, path);
      }
    }
    const targetType = this.targetType(reference, resolved, value.type);
    if (value.type && targetType && value.type !== targetType) {
      rc.report('error', 'reference-type', `${item.path}.type`, `Reference.type says ${value.type}, but '${reference}' is a ${targetType}`, scope.profile);
    }
    const referenceType = (ed.type ?? []).find((t) => typeCode(t) === 'Reference');
    const targetProfiles = referenceType?.targetProfile ?? [];
    if (!targetProfiles.length || !targetType) return;
    const byType = new Map();
    let unknownTargets = false;
    for (const url of targetProfiles) {
      const sd = this.definitions.structureDefinition(url);
      const type = sd?.type ?? (url.startsWith(BASE) ? url.slice(BASE.length) : undefined);
      if (!type) {
        const missing = this.definitions.unavailablePackage(url);
        unknownTargets = true;
        if (!byType.has(targetType)) {
          rc.report('unchecked', 'reference-target', path, `target profile ${url} ${missing ? `belongs to ${missing.name}, which is not installed` : 'is not available'}`, scope.profile);
        }
        continue;
      }
      byType.set(type, [...(byType.get(type) ?? []), url]);
    }
    if (byType.has('Resource') || byType.size === 0) return;
    if (!byType.has(targetType)) {
      if (unknownTargets) return; // it may be one of the profiles that are not available (reported above)
      rc.report('error', 'reference-target', path, `a ${targetType} is not allowed here; ${ed.id} may point to ${[...byType.keys()].join(', ')}`, scope.profile);
      return;
    }
    const profiles = byType.get(targetType);
    if (profiles.includes(BASE + targetType) || !resolved.resource) return;
    const answer = walker.conformsTo(resolved.resource, profiles);
    if (answer === NO) {
      rc.report('error', 'reference-target', path, `'${reference}' does not conform to ${profiles.join(' or ')}`, scope.profile);
    } else if (answer !== YES) {
      rc.report('unchecked', 'reference-target', path, `cannot tell whether '${reference}' conforms to ${profiles.join(' or ')}: ${answer.unknown}`, scope.profile);
    }
  }
}
