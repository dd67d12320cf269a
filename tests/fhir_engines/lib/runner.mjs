// Reads the inputs (transaction/collection bundles, single resources, Bulk NDJSON, folders of them), validates
// every resource and every transaction request, and returns the findings in a stable order.
import fs from 'node:fs';
import path from 'node:path';
import { Definitions } from './packages.mjs';
import { Terminology } from './terminology.mjs';
import { ReferenceIndex } from './references.mjs';
import { ResourceContext, Walker } from './walker.mjs';
import { matchesOwnCondition } from './requests.mjs';

function listInputs(paths) {
  const files = [];
  const walk = (p) => {
    const stat = fs.statSync(p);
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) {
        const full = path.join(p, name);
        if (fs.statSync(full).isDirectory() || name.endsWith('.json') || name.endsWith('.ndjson')) walk(full);
      }
    } else files.push(p);
  };
  for (const p of paths) walk(p);
  return files;
}

function readInputs(files, findings, displayName) {
  const documents = [];
  for (const file of files) {
    const name = displayName(file);
    const text = fs.readFileSync(file, 'utf8');
    if (file.endsWith('.ndjson')) {
      text.split('\n').forEach((line, i) => {
        if (!line.trim()) return;
        try {
          documents.push({ resource: JSON.parse(line), fileEntry: `${name}:${i + 1}`, ndjson: true });
        } catch (problem) {
          findings.push({ severity: 'error', resourceType: null, id: null, fileEntry: `${name}:${i + 1}`, path: '', rule: 'json-syntax', message: problem.message });
        }
      });
    } else {
      try {
        documents.push({ resource: JSON.parse(text), fileEntry: name });
      } catch (problem) {
        findings.push({ severity: 'error', resourceType: null, id: null, fileEntry: name, path: '', rule: 'json-syntax', message: problem.message });
      }
    }
  }
  return documents;
}

function bundleScope(bundle) {
  const fullUrls = new Map();
  for (const entry of Array.isArray(bundle.entry) ? bundle.entry : []) {
    if (typeof entry?.fullUrl === 'string' && entry.resource) fullUrls.set(entry.fullUrl, entry.resource);
  }
  return { type: bundle.type, fullUrls };
}

function checkRequests(walker, definitions, rc, bundle) {
  if (bundle.type !== 'transaction' && bundle.type !== 'batch') return;
  (Array.isArray(bundle.entry) ? bundle.entry : []).forEach((entry, i) => {
    const request = entry?.request;
    const resource = entry?.resource;
    const where = `Bundle.entry[${i}].request`;
    if (!request || typeof request.url !== 'string') return; // bdl-3 reports a missing request
    const [target, query] = request.url.split('?');
    const resourceType = target.split('/')[0];
    const conditions = [];
    if (typeof request.ifNoneExist === 'string') {
      conditions.push({ query: request.ifNoneExist.replace(/^\?/, ''), what: `ifNoneExist '${request.ifNoneExist}'`, path: `${where}.ifNoneExist`, creates: request.method === 'POST' });
    }
    if (query !== undefined) {
      conditions.push({ query, what: `conditional ${request.method} '${request.url}'`, path: `${where}.url`, creates: request.method === 'PUT' });
    }
    for (const condition of conditions) {
      walker.checkConditional(rc, resourceType, condition.query, condition.what, condition.path);
      if (!condition.creates || !resource || resource.resourceType !== resourceType) continue;
      const entryContext = new ResourceContext({ resource, fileEntry: rc.fileEntry, sink: [] });
      const answer = matchesOwnCondition(definitions, entryContext.nodes, resourceType, condition.query);
      if (answer === 'no') {
        rc.report('error', 'conditional-criteria-mismatch', condition.path,
          `the ${resourceType} in this entry does not match its own condition ${condition.query}, so loading the bundle twice creates it twice`);
      } else if (answer !== 'yes') {
        rc.report('unchecked', 'conditional-criteria-mismatch', condition.path, `cannot tell whether the ${resourceType} matches ${condition.query}: ${answer.unknown}`);
      }
    }
    if (request.method === 'PUT' && query === undefined && resource?.id && target !== `${resource.resourceType}/${resource.id}`) {
      rc.report('error', 'request-url', `${where}.url`, `PUT ${request.url} does not name the resource's own type and id (${resource.resourceType}/${resource.id})`);
    }
    if (resource && resourceType && resource.resourceType !== resourceType && request.method !== 'DELETE') {
      rc.report('error', 'request-url', `${where}.url`, `${request.method} ${request.url} carries a ${resource.resourceType}`);
    }
  });
}

const SEVERITY_ORDER = { error: 0, warning: 1, unchecked: 2, information: 3 };

/**
 * Validate files and folders. Returns {findings, summary}.
 * @param {string[]} paths inputs
 * @param {{cacheDir: string, definitionDirs?: string[], displayRoot?: string}} options
 */
export function validatePaths(paths, { cacheDir, definitionDirs = [], displayRoot } = {}) {
  const definitions = new Definitions(cacheDir, definitionDirs);
  const terminology = new Terminology(definitions);
  const references = new ReferenceIndex(definitions);
  const walker = new Walker(definitions, terminology, references);
  const findings = [];
  const displayName = (file) => (displayRoot ? path.relative(displayRoot, file) : file);
  const documents = readInputs(listInputs(paths), findings, displayName);
  for (const extra of definitions.extraFiles) {
    if (extra.error) findings.push({ severity: 'error', resourceType: null, id: null, fileEntry: displayName(extra.file), path: '', rule: 'json-syntax', message: extra.error });
    else documents.push({ resource: extra.resource, fileEntry: displayName(extra.file), definition: true });
  }
  for (const doc of documents) if (doc.resource?.resourceType !== 'Bundle') references.addLoose(doc.resource);

  const queue = documents.map((doc) => ({ resource: doc.resource, fileEntry: doc.fileEntry }));
  walker.onNestedResource = (parentContext, item) => {
    const entry = /^\.entry\[(\d+)\]\.resource$/.exec(item.key);
    const contained = /\.contained\[(\d+)\]$/.exec(item.key);
    queue.push({
      resource: item.value,
      fileEntry: entry ? `${parentContext.fileEntry}#entry[${entry[1]}]` : `${parentContext.fileEntry}#${item.key.slice(1)}`,
      bundle: entry ? parentContext.bundleScope : parentContext.bundle,
      rootResource: contained ? parentContext.resource : undefined,
    });
  };
  while (queue.length) {
    const job = queue.shift();
    const rc = new ResourceContext({ ...job, sink: findings });
    if (job.resource?.resourceType === 'Bundle') {
      rc.bundleScope = bundleScope(job.resource);
      checkRequests(walker, definitions, rc, job.resource);
    }
    walker.validateResource(rc);
    if (job.resource?.resourceType === 'StructureDefinition' && !job.resource.snapshot && job.resource.url && definitions.resolve(job.resource.url)) {
      rc.report('error', 'definition-snapshot', 'StructureDefinition', `${job.resource.url} has no snapshot; this validator (like most servers) applies snapshots only`);
    }
  }
  findings.sort((a, b) => (a.fileEntry ?? '').localeCompare(b.fileEntry ?? '', 'en', { numeric: true })
    || (SEVERITY_ORDER[a.severity] ?? 9) - (SEVERITY_ORDER[b.severity] ?? 9)
    || a.path.localeCompare(b.path) || a.rule.localeCompare(b.rule) || a.message.localeCompare(b.message));
  return { findings, packages: definitions.sources, resources: documents.length };
}
