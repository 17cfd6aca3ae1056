// Checks that the PromQL of a Grafana dashboard and of Prometheus rule files names only metrics a real scrape has,
// and that every dashboard panel has a datasource and queries.
//
//   node deploy/check/promql-names.mjs [--rules-out FILE] SCRAPE.txt DASHBOARD.json... RULES.yml...
//
// With --rules-out, the dashboards' expressions are also written to FILE as recording rules, with Grafana's
// variables replaced ($route by .*, $__rate_interval by 5m), for `promtool check rules` to parse.
//
// SCRAPE.txt is Prometheus text from Breakwater's /metrics. A name passes when the scrape has samples of that name
// (breakwater_request_duration_seconds_bucket, say), or when its family (the name less _bucket, _count, _sum or
// _max) is in ALLOWED below, each entry with its reason. Exits 1 on any problem, printing each.
import { readFileSync, writeFileSync } from "node:fs";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";

/** Series the check's traffic cannot make, or that are not Breakwater's; each with the reason. */
const ALLOWED = {
  up: "made by Prometheus for every scrape target, not exported by Breakwater",
  breakwater_stream_retried_before_commit_total:
    "needs a stream that fails before its first event; bin/mock-openai's streams never fail",
  breakwater_stream_broken_total: "needs a stream cut after its first event; bin/mock-openai's streams never break",
};

/** Metric-name prefixes the dashboards and rules may use; other identifiers are PromQL's own words. */
const PREFIXES = ["breakwater_", "resilience4j_", "jvm_", "process_", "system_", "vertx_", "executor_"];
const SUFFIXES = ["_bucket", "_count", "_sum", "_max"];

/**
 * The metric names in a PromQL expression (or a Grafana template query such as label_values(m, route)): strings,
 * label matchers, grouping label lists and Grafana's $variables are removed first, so that a label or a label
 * value never passes for a metric.
 */
export function metricNames(expr) {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // string literals
    .replace(/\{[^{}]*\}/g, "{}") // label matchers
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "$1()") // label lists
    .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*(:[a-z]+)?\}?/g, "1") // Grafana variables ($route, ${__rate_interval})
    .replace(/#.*$/gm, ""); // comments
  const names = new Set();
  for (const m of bare.matchAll(/(?<![A-Za-z0-9_:.])[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const name = m[0];
    if (name === "up" || PREFIXES.some((p) => name.startsWith(p))) names.add(name);
  }
  // label_values(metric, label): the label is an argument, not a matcher
  for (const m of expr.matchAll(/label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*(?:\{[^}]*\})?\s*,\s*([A-Za-z_]+)\s*\)/g)) {
    names.delete(m[2]);
  }
  return names;
}

function family(name) {
  const suffix = SUFFIXES.find((s) => name.endsWith(s));
  return suffix ? name.slice(0, -suffix.length) : name;
}

function scrapeNames(text) {
  const names = new Set();
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)[{ ]/.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}

/** Every panel, rows' collapsed panels included. */
function panels(dashboard) {
  const all = [];
  for (const panel of dashboard.panels ?? []) {
    all.push(panel);
    for (const inner of panel.panels ?? []) all.push(inner);
  }
  return all;
}

const problems = [];
const args = process.argv.slice(2);
let rulesOut;
if (args[0] === "--rules-out") {
  rulesOut = args[1];
  args.splice(0, 2);
}
const [scrapeFile, ...files] = args;
const dashboardExprs = [];
if (!scrapeFile || files.length === 0) {
  console.error("usage: node promql-names.mjs SCRAPE.txt DASHBOARD.json... RULES.yml...");
  process.exit(2);
}
const scraped = scrapeNames(readFileSync(scrapeFile, "utf8"));
if (scraped.size === 0) problems.push(`${scrapeFile}: no samples`);
const used = new Map(); // name -> where

function collect(where, expr) {
  if (typeof expr !== "string" || expr.trim() === "") {
    problems.push(`${where}: no expression`);
    return;
  }
  const names = metricNames(expr);
  if (names.size === 0) problems.push(`${where}: no metric in ${JSON.stringify(expr)}`);
  for (const name of names) {
    if (!used.has(name)) used.set(name, where);
  }
}

for (const file of files) {
  const text = readFileSync(file, "utf8");
  if (file.endsWith(".json")) {
    let dashboard;
    try {
      dashboard = JSON.parse(text);
    } catch (e) {
      problems.push(`${file}: invalid JSON: ${e.message}`);
      continue;
    }
    if (!dashboard.uid || !dashboard.title) problems.push(`${file}: no uid or title`);
    const ids = new Set();
    for (const panel of panels(dashboard)) {
      const where = `${file}: panel ${panel.id} "${panel.title}"`;
      if (ids.has(panel.id)) problems.push(`${where}: duplicate panel id`);
      ids.add(panel.id);
      if (panel.type === "row") continue;
      if (!panel.gridPos) problems.push(`${where}: no gridPos`);
      if (!panel.datasource?.uid && !panel.datasource?.type) problems.push(`${where}: no datasource`);
      if (!Array.isArray(panel.targets) || panel.targets.length === 0) {
        problems.push(`${where}: no targets`);
        continue;
      }
      for (const target of panel.targets) {
        if (!target.datasource?.uid && !panel.datasource?.uid) problems.push(`${where}: a target without datasource`);
        collect(`${where} ${target.refId}`, target.expr);
        if (typeof target.expr === "string") dashboardExprs.push(target.expr);
      }
    }
    for (const variable of dashboard.templating?.list ?? []) {
      if (variable.type !== "query") continue;
      const query = typeof variable.query === "string" ? variable.query : variable.query?.query;
      collect(`${file}: variable ${variable.name}`, query);
    }
  } else {
    let rules;
    try {
      rules = parseYaml(text);
    } catch (e) {
      problems.push(`${file}: invalid YAML: ${e.message}`);
      continue;
    }
    for (const group of rules?.groups ?? []) {
      for (const rule of group.rules ?? []) {
        collect(`${file}: ${group.name}/${rule.alert ?? rule.record}`, rule.expr);
      }
    }
  }
}

if (rulesOut) {
  const grafana = (expr) =>
    expr
      .replace(/\$__(rate_interval|interval|range)\b/g, "5m")
      .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*(:[a-z]+)?\}?/g, ".*");
  const rules = dashboardExprs.map((expr, i) => ({ record: `dashboard:expr${i + 1}`, expr: grafana(expr) }));
  writeFileSync(rulesOut, stringifyYaml({ groups: [{ name: "dashboard-expressions", rules }] }));
}

for (const [name, where] of [...used].sort()) {
  if (scraped.has(name)) continue;
  const reason = ALLOWED[name] ?? ALLOWED[family(name)];
  if (reason) {
    console.log(`allowed ${name} (not in the scrape): ${reason}`);
  } else {
    problems.push(`${where}: ${name} is not in the scrape`);
  }
}
for (const name of Object.keys(ALLOWED)) {
  if (scraped.has(name) || [...scraped].some((s) => family(s) === name)) {
    console.log(`note: ${name} is in the scrape now; its allowlist entry can go`);
  }
}
console.log(`${used.size} metric names checked in ${files.join(", ")}`);
for (const problem of problems) console.log(`FAIL ${problem}`);
process.exit(problems.length ? 1 : 0);
