// Validates Kubernetes manifests offline against the Kubernetes JSON schemas (kubernetes-models) and the
// Prometheus Operator's CRD schemas (@kubernetes-models/prometheus-operator).
//
//   node deploy/check/k8s-validate.mjs deploy/kubernetes/*.yaml
//
// Every YAML document must have an apiVersion and kind this script knows, and must validate: a wrong field type or
// a missing required field fails (the JSON schemas), and so does an unknown field (strict-fields.mjs). Prints one
// line per document, exits 1 when any fails.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { unknownFields } from "./strict-fields.mjs";

// apiVersion group -> the package path that holds its models; the core group has no name.
const GROUPS = {
  "": "kubernetes-models",
  apps: "kubernetes-models/apps",
  batch: "kubernetes-models/batch",
  policy: "kubernetes-models/policy",
  autoscaling: "kubernetes-models/autoscaling",
  "networking.k8s.io": "kubernetes-models/networking.k8s.io",
  "rbac.authorization.k8s.io": "kubernetes-models/rbac.authorization.k8s.io",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator/monitoring.coreos.com",
};

/** The module of a kind's model, such as kubernetes-models/apps/v1/Deployment. */
function modulePath(apiVersion, kind) {
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  if (!(group in GROUPS)) throw new Error(`no schemas for apiVersion ${apiVersion}`);
  return `${GROUPS[group]}/${version}/${kind}`;
}

async function model(path, apiVersion, kind) {
  const module = await import(path).catch(() => {
    throw new Error(`no schema for ${kind} in ${apiVersion}`);
  });
  return module[kind];
}

let failed = 0;
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node k8s-validate.mjs FILE.yaml...");
  process.exit(2);
}
for (const file of files) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  for (const [i, doc] of docs.entries()) {
    const where = `${file}#${i + 1}`;
    if (doc.errors.length > 0) {
      console.log(`FAIL ${where}: invalid YAML: ${doc.errors[0].message}`);
      failed++;
      continue;
    }
    const object = doc.toJS();
    if (object === null || object === undefined) continue; // an empty document (a trailing ---)
    const name = `${object.kind}/${object.metadata?.name}`;
    try {
      if (typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
        throw new Error("no apiVersion or kind");
      }
      const path = modulePath(object.apiVersion, object.kind);
      const Kind = await model(path, object.apiVersion, object.kind);
      new Kind(object).validate();
      const unknown = unknownFields(object, path);
      if (unknown.length > 0) throw new Error(unknown.join("; "));
      console.log(`ok   ${where} ${object.apiVersion} ${name}`);
    } catch (e) {
      console.log(`FAIL ${where} ${name}: ${e.message}`);
      failed++;
    }
  }
}
process.exit(failed ? 1 : 0);
