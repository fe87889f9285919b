// Greedy decoding in real llama.cpp (node-llama-cpp 3.22.1's prebuilt CPU binaries) of a base GGUF
// with a GGUF LoRA adapter applied (llama.cpp's --lora), for GgufLlamaCppGreedyTest.
// Usage: NODE_PATH=<folder with node_modules> node lora_greedy.mjs BASE.gguf ADAPTER.gguf N ID,ID,...
// Prints a JSON array of the N greedily chosen token ids (stops early only at an end-of-generation token).
import { createRequire } from "node:module";
import path from "node:path";
const require = createRequire(path.join(process.env.LLAMA_CPP_NODE, "node_modules", "x.js"));
const { getLlama, LlamaLogLevel } = await import(require.resolve("node-llama-cpp"));
const [base, adapter, n, prompt] = process.argv.slice(2);
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: base });
const ctx = await model.createContext({ contextSize: 128, lora: adapter === "-" ? undefined : { adapters: [{ filePath: adapter, scale: 1 }] } });
const seq = ctx.getSequence();
const out = [];
for await (const token of seq.evaluate(prompt.split(",").map(Number), { temperature: 0 })) {
  out.push(token);
  if (out.length >= Number(n)) break;
}
process.stdout.write(JSON.stringify(out));
