import { getLlama, LlamaLogLevel } from "node-llama-cpp";
// Loads the GGUF files LlamaCppCheckExport wrote into real llama.cpp (node-llama-cpp 3.22.1's
// prebuilt binaries) and compares next-token probabilities with reference_forward.py's.
// Usage: node compare_probabilities.mjs DIR [model]
import { readFileSync } from "node:fs";
const root = process.argv[2] ?? "target/llama-cpp-check";
const ref = JSON.parse(readFileSync(`${root}/probs.json`));
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
for (const name of (process.argv[3] ? [process.argv[3]] : Object.keys(ref))) for (const ft of (name.endsWith("nopermute") ? ["F32"] : ["F32", "Q8_0"])) {
  const model = await llama.loadModel({ modelPath: `${root}/${name}/model-${ft}.gguf` });
  const ctx = await model.createContext({ contextSize: 64 });
  const seq = ctx.getSequence();
  let value;
  for (let attempt = 0; attempt < 30 && value === undefined; attempt++) {
    // a sampled end-of-generation token ends the iterator before it yields: evaluate again
    await seq.clearHistory();
    const it = seq.evaluateWithMetadata([1, 2, 3, 4], { probabilities: true }, { temperature: 1, topK: 0, topP: 1, minP: 0 });
    value = (await it.next()).value;
  }
  const p = value.probabilities;
  let maxAbs = 0, argmax = -1, best = -1;
  for (let t = 0; t < ref[name].length; t++) {
    const q = p.get(t) ?? 0;
    maxAbs = Math.max(maxAbs, Math.abs(q - ref[name][t]));
    if (q > best) { best = q; argmax = t; }
  }
  console.log(`${name} ${ft}: max |p_llama.cpp - p_torch| = ${maxAbs.toExponential(2)}, argmax ${argmax}, tokens with p: ${p.size}`);
  await ctx.dispose(); await model.dispose();
}
