// Writes how JavaScript's Unicode regex engine splits every corpus text with the split patterns of
// GPT-2, Llama 3 and Qwen2/2.5/3, so the tests can check that java.util.regex (through HfRegex)
// cuts words exactly the same way. JavaScript has no inline (?i:...), so that group is spelled out
// as transformers.js does. Run from the repository root: node src/test/node/generate-split-reference.mjs
import fs from "node:fs";
import { texts } from "./corpus.mjs";

const CONTRACTIONS_I = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
const patterns = {
  gpt2: "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
  llama3: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  qwen2: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
};

// Isolated split: matches and the gaps between them, empty pieces dropped.
function split(text, source) {
  const re = new RegExp(source.replace("(?i:'s|'t|'re|'ve|'m|'ll|'d)", CONTRACTIONS_I), "gu");
  const out = [];
  let previous = 0;
  for (const m of text.matchAll(re)) {
    if (m[0].length === 0) continue;
    if (m.index > previous) out.push(text.slice(previous, m.index));
    out.push(m[0]);
    previous = m.index + m[0].length;
  }
  if (previous < text.length) out.push(text.slice(previous));
  return out;
}

const lines = Object.entries(patterns).map(([name, source]) =>
  `  ${JSON.stringify(name)}: {"pattern": ${JSON.stringify(source)}, "splits": [\n` +
  texts.map((t) => "    " + JSON.stringify({ text: t, pieces: split(t, source) })).join(",\n") + "\n  ]}");
fs.writeFileSync("src/test/resources/tokenizer/split-reference.json", "{\n" + lines.join(",\n") + "\n}\n");
console.log(`split-reference.json: ${texts.length} texts x ${Object.keys(patterns).length} patterns`);
