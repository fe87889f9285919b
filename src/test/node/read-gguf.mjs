// Reads a GGUF file with @huggingface/gguf (an independent parser: GgufAdapterExportTest checks
// jtune's GGUF output with it). Usage: node read-gguf.mjs FILE. Prints one JSON object:
//   metadata: every key (arrays longer than 64 entries as {"arrayLength": n}),
//   tensors:  [{name, shape (ggml ne order: ne[0] first), dtype (GGMLQuantizationType id), values?}],
// where values (F32 tensors only) are read at tensorDataOffset + offset, little-endian.
// The package comes from scripts/fetch-test-fixtures.sh (.fixtures/huggingface-gguf-0.4.6).
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const dist = path.join(process.cwd(), ".fixtures/huggingface-gguf-0.4.6/package/dist/index.mjs");
const { gguf } = await import(pathToFileURL(dist).href);

const file = path.resolve(process.argv[2]);
const { metadata, tensorInfos, tensorDataOffset } = await gguf(file, { allowLocalFile: true });

const plain = (v) => (typeof v === "bigint" ? Number(v) : v);
const meta = {};
for (const [k, v] of Object.entries(metadata)) {
  meta[k] = Array.isArray(v) ? (v.length > 64 ? { arrayLength: v.length } : v.map(plain)) : plain(v);
}

const F32 = 0;
const bytes = fs.readFileSync(file);
const tensors = tensorInfos.map((t) => {
  const shape = t.shape.map(Number);
  const out = { name: t.name, shape, dtype: t.dtype };
  if (t.dtype === F32) {
    const n = shape.reduce((a, b) => a * b, 1);
    const start = Number(tensorDataOffset + t.offset);
    const view = new DataView(bytes.buffer, bytes.byteOffset + start, 4 * n);
    out.values = Array.from({ length: n }, (_, i) => view.getFloat32(4 * i, true));
  }
  return out;
});
process.stdout.write(JSON.stringify({ metadata: meta, tensors }));
