// A StructureDefinition's snapshot as a tree: each node holds one ElementDefinition, its child elements by
// name and, when the element is sliced, its slices by slice name. Element ids (`Patient.extension:race.url`)
// give the shape; slice names never contain dots.

export class ElementNode {
  constructor(ed, sd) {
    this.ed = ed;
    this.sd = sd;
    this.children = new Map();
    this.slices = new Map();
  }

  get name() {
    return this.ed.path.split('.').pop();
  }

  /** The child whose JSON property is `prop` (e.g. `valueQuantity` matches `value[x]`), with the type it implies. */
  childForProperty(prop) {
    const direct = this.children.get(prop);
    if (direct && !direct.name.endsWith('[x]')) return { node: direct, type: singleType(direct.ed) };
    for (const [name, node] of this.children) {
      if (!name.endsWith('[x]')) continue;
      const stem = name.slice(0, -3);
      if (!prop.startsWith(stem)) continue;
      const suffix = prop.slice(stem.length);
      const type = (node.ed.type ?? []).find((t) => capitalise(typeCode(t)) === suffix);
      if (type) return { node, type: typeCode(type) };
    }
    return undefined;
  }
}

export function capitalise(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const FHIR_TYPE_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';
const SYSTEM_TYPES = {
  'http://hl7.org/fhirpath/System.String': 'string',
  'http://hl7.org/fhirpath/System.Boolean': 'boolean',
  'http://hl7.org/fhirpath/System.Integer': 'integer',
  'http://hl7.org/fhirpath/System.Decimal': 'decimal',
  'http://hl7.org/fhirpath/System.Date': 'date',
  'http://hl7.org/fhirpath/System.DateTime': 'dateTime',
  'http://hl7.org/fhirpath/System.Time': 'time',
};

/** The FHIR type code of an ElementDefinition.type entry (System.* types map to their FHIR primitive). */
export function typeCode(type) {
  const fhirType = (type.extension ?? []).find((e) => e.url === FHIR_TYPE_EXTENSION)?.valueUrl;
  if (fhirType) return fhirType;
  return SYSTEM_TYPES[type.code] ?? type.code;
}

function singleType(ed) {
  const types = ed.type ?? [];
  return types.length === 1 ? typeCode(types[0]) : undefined;
}

function parseId(id) {
  // 'Patient.extension:race.url' -> [{name: 'Patient'}, {name: 'extension', slice: 'race'}, {name: 'url'}]
  return id.split('.').map((segment) => {
    const colon = segment.indexOf(':');
    return colon < 0 ? { name: segment } : { name: segment.slice(0, colon), slice: segment.slice(colon + 1) };
  });
}

const cache = new WeakMap();

/** The root node of a StructureDefinition's snapshot tree (cached per definition object). */
export function elementTree(sd) {
  if (cache.has(sd)) return cache.get(sd);
  const elements = sd.snapshot?.element;
  if (!elements?.length) {
    cache.set(sd, undefined);
    return undefined;
  }
  const nodes = new Map();
  let root;
  for (const ed of elements) {
    const id = ed.id ?? ed.path;
    const node = new ElementNode(ed, sd);
    nodes.set(id, node);
    const segments = parseId(id);
    if (segments.length === 1 && !segments[0].slice) {
      root = node;
      continue;
    }
    const last = segments[segments.length - 1];
    const parentId = id.slice(0, id.length - (last.slice ? last.name.length + last.slice.length + 1 : last.name.length) - 1);
    if (last.slice) {
      // `X.extension:race` is a slice of `X.extension`; a reslice `a/b` hangs under its slice.
      const slashed = last.slice.lastIndexOf('/');
      const baseId = slashed < 0 ? `${parentId}.${last.name}` : `${parentId}.${last.name}:${last.slice.slice(0, slashed)}`;
      const base = nodes.get(baseId);
      if (base) base.slices.set(last.slice.slice(slashed + 1), node);
    } else {
      const parent = nodes.get(parentId);
      if (parent) parent.children.set(last.name, node);
    }
  }
  cache.set(sd, root);
  return root;
}

/** Follow a contentReference (`#Questionnaire.item`) to the node whose children it reuses. */
export function contentReferenceTarget(root, ref) {
  const id = ref.startsWith('#') ? ref.slice(1) : ref.split('#')[1];
  const segments = id.split('.');
  let node = root;
  for (const segment of segments.slice(1)) {
    node = node?.children.get(segment);
  }
  return node;
}
