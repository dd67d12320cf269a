// The FHIR definition packages the validator knows: HL7's packages from the cache (see fhir-packages.json)
// plus folders of extra definitions given on the command line (crfmap's own, later). Resources are found by
// canonical URL through a small index per package and read from disk only when first needed.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ENGINES_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const MANIFEST = JSON.parse(fs.readFileSync(path.join(ENGINES_DIR, 'fhir-packages.json'), 'utf8'));
const INDEX_FILE = 'crfmap-index.json';
const INDEX_VERSION = 2;
const CANONICAL_TYPES = new Set(['StructureDefinition', 'ValueSet', 'CodeSystem', 'SearchParameter']);

export function packageDir(cacheDir, pkg) {
  return path.join(cacheDir, 'packages', `${pkg.name}#${pkg.version}`, 'package');
}

function summarise(resource, file) {
  const entry = { file, resourceType: resource.resourceType, url: resource.url, version: resource.version };
  if (resource.resourceType === 'StructureDefinition') {
    Object.assign(entry, { type: resource.type, kind: resource.kind, derivation: resource.derivation,
      baseDefinition: resource.baseDefinition, abstract: resource.abstract });
  } else if (resource.resourceType === 'SearchParameter') {
    Object.assign(entry, { code: resource.code, base: resource.base, type: resource.type,
      expression: resource.expression });
  } else if (resource.resourceType === 'CodeSystem') {
    entry.content = resource.content;
  }
  return entry;
}

function readJsonFiles(dir) {
  // Only the package's own top-level resources: examples live in sub-folders and are not definitions.
  const out = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.endsWith('.json') || name === 'package.json' || name.startsWith('.') || name === INDEX_FILE) continue;
    const file = path.join(dir, name);
    if (!fs.statSync(file).isFile()) continue;
    out.push(file);
  }
  return out;
}

function buildIndex(dir) {
  const entries = [];
  for (const file of readJsonFiles(dir)) {
    let resource;
    try {
      resource = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      continue; // not a resource (the package's own metadata files)
    }
    if (CANONICAL_TYPES.has(resource?.resourceType) && resource.url) entries.push(summarise(resource, path.basename(file)));
  }
  return entries;
}

/** The index of one installed package, built once and kept beside it. */
export function loadPackageIndex(dir) {
  const indexPath = path.join(path.dirname(dir), INDEX_FILE);
  if (fs.existsSync(indexPath)) {
    const cached = JSON.parse(fs.readFileSync(indexPath, 'utf8'));
    if (cached.version === INDEX_VERSION) return cached.entries;
  }
  const entries = buildIndex(dir);
  const temporary = `${indexPath}.${process.pid}.tmp`; // written whole, then renamed: parallel runs never read half
  fs.writeFileSync(temporary, JSON.stringify({ version: INDEX_VERSION, entries }));
  fs.renameSync(temporary, indexPath);
  return entries;
}

export class Definitions {
  /**
   * @param {string} cacheDir folder holding packages/<name>#<version>/package
   * @param {string[]} extraDirs folders of extra definitions (StructureDefinition/ValueSet/CodeSystem JSON files)
   */
  constructor(cacheDir, extraDirs = []) {
    this.byUrl = new Map(); // url -> [{entry, dir, source}] in precedence order (later wins when unversioned)
    this.resources = new Map(); // absolute file -> parsed resource
    this.searchParams = new Map(); // resourceType -> Map(code -> entry)
    this.sources = [];
    this.extraFiles = [];
    for (const pkg of MANIFEST.packages) {
      const dir = packageDir(cacheDir, pkg);
      if (!fs.existsSync(dir)) throw new Error(`FHIR package ${pkg.name}#${pkg.version} is not installed in ${dir}`);
      this.addEntries(loadPackageIndex(dir), dir, `${pkg.name}#${pkg.version}`);
      this.sources.push(`${pkg.name}#${pkg.version}`);
    }
    for (const extra of extraDirs) this.addExtraDir(extra);
  }

  addEntries(entries, dir, source) {
    for (const entry of entries) {
      const list = this.byUrl.get(entry.url) ?? [];
      list.push({ entry, dir, source });
      this.byUrl.set(entry.url, list);
      if (entry.resourceType === 'SearchParameter' && source.startsWith('hl7.fhir.r4.core#')) {
        // Only R4's own search parameters count: a server knows those, not an IG's.
        for (const base of entry.base ?? []) {
          const map = this.searchParams.get(base) ?? new Map();
          map.set(entry.code, entry);
          this.searchParams.set(base, map);
        }
      }
    }
  }

  addExtraDir(dir) {
    const files = [];
    const walk = (d) => {
      for (const name of fs.readdirSync(d).sort()) {
        const full = path.join(d, name);
        if (fs.statSync(full).isDirectory()) walk(full);
        else if (name.endsWith('.json') && name !== 'package.json' && name !== INDEX_FILE) files.push(full);
      }
    };
    walk(dir);
    const entries = [];
    for (const file of files) {
      let resource;
      try {
        resource = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch (problem) {
        this.extraFiles.push({ file, error: `not JSON: ${problem.message}` });
        continue;
      }
      this.extraFiles.push({ file, resource });
      if (CANONICAL_TYPES.has(resource?.resourceType) && resource.url) {
        this.resources.set(file, resource);
        entries.push({ ...summarise(resource, file), absolute: true });
      }
    }
    this.addEntries(entries, dir, `extra:${dir}`);
    this.sources.push(`extra:${dir}`);
  }

  read(hit) {
    const file = hit.entry.absolute ? hit.entry.file : path.join(hit.dir, hit.entry.file);
    let resource = this.resources.get(file);
    if (!resource) {
      resource = JSON.parse(fs.readFileSync(file, 'utf8'));
      this.resources.set(file, resource);
    }
    return resource;
  }

  /** The resource of a canonical URL (optionally `url|version`), or undefined. */
  resolve(canonical, resourceType) {
    if (!canonical) return undefined;
    const [url, version] = canonical.split('|');
    const hits = (this.byUrl.get(url) ?? []).filter((h) => !resourceType || h.entry.resourceType === resourceType);
    if (hits.length === 0) return undefined;
    const exact = version ? hits.filter((h) => h.entry.version === version) : [];
    // Unversioned: the last loaded wins (terminology and IG packages come after the core they update).
    return this.read(exact.length ? exact[exact.length - 1] : hits[hits.length - 1]);
  }

  structureDefinition(url) {
    return this.resolve(url, 'StructureDefinition');
  }

  /** The base StructureDefinition of a FHIR type (e.g. `HumanName`, `Patient`). */
  typeDefinition(code) {
    return this.structureDefinition(code.includes('/') ? code : `http://hl7.org/fhir/StructureDefinition/${code}`);
  }

  /** The package a canonical URL belongs to when that package could not be installed, if any. */
  unavailablePackage(url) {
    return (MANIFEST.unavailable ?? []).find((pkg) => url?.startsWith(pkg.canonical + '/'));
  }

  /** R4's search parameters for a resource type, including those defined on Resource and DomainResource. */
  searchParameters(resourceType) {
    const out = new Map();
    for (const base of ['Resource', 'DomainResource', resourceType]) {
      for (const [code, entry] of this.searchParams.get(base) ?? []) out.set(code, entry);
    }
    return out;
  }

  /** Whether `type` is `ancestor` or derives from it (by the base definitions' chain). */
  typeDerivesFrom(type, ancestor) {
    let current = type;
    for (let depth = 0; current && depth < 10; depth++) {
      if (current === ancestor) return true;
      const sd = this.typeDefinition(current);
      if (!sd?.baseDefinition) return false;
      current = sd.baseDefinition.split('/').pop();
    }
    return false;
  }

  isResourceType(type) {
    const sd = this.typeDefinition(type);
    return sd?.kind === 'resource' && sd.derivation === 'specialization';
  }
}
