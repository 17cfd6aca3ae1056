// Unknown-field check for Kubernetes objects, the part of `kubectl --validate=strict` (or kubeconform -strict) that
// the JSON schemas of kubernetes-models leave out: they check types and required fields, but accept any extra key,
// so `restartpolicy: Always` (a typo that turns a native sidecar into an init container the pod waits on forever)
// would pass. The allowed keys come from the packages' TypeScript declarations (Container.d.ts and so on), which
// list every field of every type; a small parser reads the subset of TypeScript they use.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const NODE_MODULES = join(dirname(fileURLToPath(import.meta.url)), "node_modules");
const ANY = { kind: "any" };
const interfaces = new Map(); // .d.ts path -> parsed type of its first interface

function tokens(text) {
  const stripped = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  return stripped.match(/"(?:[^"\\]|\\.)*"|[A-Za-z_$][A-Za-z0-9_$]*|-?[0-9.]+|\S/g) ?? [];
}

/** Parses a type from tokens[at.i]: Array<T>, {members}, a reference, or anything else (read as any). */
function parseType(t, at) {
  const alternatives = [];
  for (;;) {
    alternatives.push(parsePrimary(t, at));
    if (t[at.i] !== "|") break;
    at.i++;
  }
  return alternatives.length === 1 ? alternatives[0] : ANY;
}

function parsePrimary(t, at) {
  const token = t[at.i];
  if (token === "{") return parseObject(t, at);
  if (token === "Array" && t[at.i + 1] === "<") {
    at.i += 2;
    const of = parseType(t, at);
    at.i++; // >
    return { kind: "array", of };
  }
  at.i++;
  if (/^[A-Z]/.test(token) && !["Array", "Record"].includes(token)) return { kind: "ref", name: token };
  return ANY; // string, number, boolean, a literal
}

function parseObject(t, at) {
  const props = new Map();
  let index = null;
  at.i++; // {
  while (t[at.i] !== "}") {
    if (t[at.i] === "[") {
      while (t[at.i] !== "]") at.i++;
      at.i += 2; // ] :
      index = parseType(t, at);
    } else {
      const key = JSON.parse(t[at.i].startsWith('"') ? t[at.i] : `"${t[at.i]}"`);
      at.i++;
      if (t[at.i] === "?") at.i++;
      at.i++; // :
      props.set(key, parseType(t, at));
    }
    if (t[at.i] === ";" || t[at.i] === ",") at.i++;
  }
  at.i++; // }
  return { kind: "object", props, index };
}

/** The first interface of a .d.ts file, with the files its imported names come from. */
function load(file) {
  if (interfaces.has(file)) return interfaces.get(file);
  const text = readFileSync(file, "utf8");
  const imports = new Map();
  for (const m of text.matchAll(/import \{([^}]*)\} from "([^"]+)"/g)) {
    for (const name of m[1].split(",").map((s) => s.trim().split(/\s+as\s+/).pop())) imports.set(name, m[2]);
  }
  const t = tokens(text);
  let i = t.findIndex((tok, k) => tok === "interface" && t[k - 1] === "export");
  let type = ANY;
  if (i >= 0) {
    while (t[i] !== "{") i++;
    type = parseObject(t, { i });
  }
  const parsed = { type, imports, dir: dirname(file) };
  interfaces.set(file, parsed);
  return parsed;
}

function resolveRef(name, from) {
  const spec = from.imports.get(name);
  if (!spec) return ANY;
  const file = spec.startsWith(".") ? resolve(from.dir, `${spec}.d.ts`) : join(NODE_MODULES, `${spec}.d.ts`);
  return existsSync(file) ? { file, ...load(file) } : ANY;
}

function walk(value, type, from, path, problems) {
  if (type.kind === "ref") {
    const target = resolveRef(type.name, from);
    if (target !== ANY) walk(value, target.type, target, path, problems);
  } else if (type.kind === "array" && Array.isArray(value)) {
    value.forEach((item, i) => walk(item, type.of, from, `${path}[${i}]`, problems));
  } else if (type.kind === "object" && value && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      const field = type.props.get(key) ?? type.index;
      if (field) walk(inner, field, from, at, problems);
      else problems.push(`${at}: unknown field`);
    }
  }
}

/**
 * The unknown fields of `object`, as YAML paths, given the .d.ts file of its model (the module path the model was
 * imported from, such as "kubernetes-models/apps/v1/Deployment").
 */
export function unknownFields(object, modulePath) {
  const file = join(NODE_MODULES, `${modulePath}.d.ts`);
  if (!existsSync(file)) throw new Error(`no type declarations at ${file}`);
  const model = load(file);
  const problems = [];
  walk(object, model.type, model, "", problems);
  return problems;
}
