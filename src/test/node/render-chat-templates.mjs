// Renders chat templates with @huggingface/jinja (the reference ChatTemplateParityTest compares
// jtune's Jinja interpreter with). The test runs it under node: a JSON array of
// {"template": "...", "context": {...}} on stdin, a JSON array of {"output": "..."} or
// {"error": "..."} (one per job, in order) on stdout.
// The package comes from scripts/fetch-test-fixtures.sh (.fixtures/huggingface-jinja-0.5.11).
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const dist = path.join(process.cwd(), ".fixtures/huggingface-jinja-0.5.11/package/dist/index.js");
const { Template } = await import(pathToFileURL(dist).href);

const jobs = JSON.parse(fs.readFileSync(0, "utf8"));
const compiled = new Map();
const results = jobs.map(({ template, context }) => {
  try {
    if (!compiled.has(template)) compiled.set(template, new Template(template));
    return { output: compiled.get(template).render(context) };
  } catch (e) {
    return { error: String(e && e.message ? e.message : e) };
  }
});
process.stdout.write(JSON.stringify(results));
