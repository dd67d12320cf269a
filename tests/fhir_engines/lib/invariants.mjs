// Constraints (invariants) evaluated with HL7's community FHIRPath engine (npm `fhirpath`) and its R4 model.
// Each element instance is located as a fhirpath.js node taken from the resource root, so that `%resource`,
// primitive extensions (`_given`) and the R4 types are what the engine sees when it evaluates the whole resource.
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4/index.js';

const compiled = new Map();
const DESCENDANTS = fhirpath.compile('descendants()', r4Model, { resolveInternalTypes: false });

function compile(expression) {
  let fn = compiled.get(expression);
  if (!fn) {
    // R4's own invariants call trace(); keep the engine from printing.
    fn = fhirpath.compile(expression, r4Model, { traceFn: () => {} });
    compiled.set(expression, fn);
  }
  return fn;
}

function nodeKey(node) {
  const parts = [];
  for (let current = node; current?.parentResNode; current = current.parentResNode) {
    parts.push(current.index === null || current.index === undefined ? `.${current.propName}` : `.${current.propName}[${current.index}]`);
  }
  return parts.reverse().join('');
}

/** The fhirpath.js nodes of one resource, by location key (`.name[0].given[1]`; the root is ``). */
export class ResourceNodes {
  constructor(resource, rootResource) {
    this.resource = resource;
    this.env = { resource, rootResource: rootResource ?? resource };
    this.nodes = null;
  }

  node(key) {
    if (!this.nodes) {
      this.nodes = new Map();
      const [root] = fhirpath.evaluate(this.resource, '%context', this.env, r4Model, { resolveInternalTypes: false });
      this.nodes.set('', root);
      for (const node of DESCENDANTS(this.resource, this.env)) this.nodes.set(nodeKey(node), node);
    }
    return this.nodes.get(key);
  }

  /**
   * Evaluate a constraint at a location: {ok: true} | {ok: false} | {unchecked: reason}.
   * An expression that yields neither true nor false, or that the engine cannot run, is unchecked.
   */
  evaluate(key, expression) {
    const node = this.node(key);
    if (node === undefined) return { unchecked: `the FHIRPath engine does not see an element at ${key || 'the root'}` };
    let result;
    try {
      result = compile(expression)([node], this.env);
    } catch (problem) {
      return { unchecked: `the FHIRPath engine cannot evaluate it: ${String(problem.message ?? problem).split('\n')[0]}` };
    }
    if (result.length === 1 && typeof result[0] === 'boolean') return { ok: result[0] };
    if (result.length === 0) return { unchecked: 'the expression gives an empty result, neither true nor false' };
    return { unchecked: `the expression gives ${JSON.stringify(result).slice(0, 80)}, not a boolean` };
  }

  /** Plain values of a FHIRPath expression over the whole resource (for search parameter expressions). */
  values(expression) {
    return compile(expression)(this.resource, this.env);
  }
}
