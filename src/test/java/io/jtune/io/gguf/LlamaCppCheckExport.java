package io.jtune.io.gguf;

import io.jtune.nn.RopeConfig;
import io.jtune.model.arch.ModelConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Not a unit test: writes the tiny checkpoints of the GGUF tests (HF tensors as raw fp32 plus
 * F32/Q8_0 GGUF exports, and a llama file without the q/k permutation as a negative control) for
 * the manual cross-check against real llama.cpp in src/test/llama-cpp (see docs/export.md).
 * Usage: java -cp target/classes:target/test-classes io.jtune.io.gguf.LlamaCppCheckExport OUT_DIR
 */
public final class LlamaCppCheckExport {
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "target/llama-cpp-check");
        RopeConfig llama3 = new RopeConfig(500000.0, "llama3", 32.0, 1.0, 4.0, 8192);
        Map<String, TinyCheckpoint> models = new LinkedHashMap<>();
        models.put("llama", TinyCheckpoint.of("llama", false));
        models.put("qwen2", TinyCheckpoint.of("qwen2", true));
        models.put("qwen3", TinyCheckpoint.of("qwen3", true));
        models.put("llama3", TinyCheckpoint.of(TinyCheckpoint.config("llama", true, llama3)));
        for (Map.Entry<String, TinyCheckpoint> e : models.entrySet()) {
            Path dir = out.resolve(e.getKey());
            Files.createDirectories(dir);
            StringBuilder index = new StringBuilder();
            for (String name : e.getValue().tensors.keySet()) {
                float[] v = e.getValue().values(name);
                ByteBuffer bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : v) bb.putFloat(f);
                Files.write(dir.resolve(name + ".bin"), bb.array());
                var m = e.getValue().tensor(name);
                index.append(name).append(' ').append(m.rows()).append(' ').append(m.cols()).append('\n');
            }
            Files.writeString(dir.resolve("index.txt"), index.toString());
            for (GgufFileType type : new GgufFileType[] {GgufFileType.F32, GgufFileType.Q8_0}) {
                LlamaFamilyGguf.export(e.getValue(), type, dir.resolve("model-" + type + ".gguf"));
            }
        }
        // negative control: the llama model with HF-ordered q/k rows
        TinyCheckpoint m = models.get("llama");
        LlamaFamilyGguf.Plan plan = LlamaFamilyGguf.plan(m, GgufFileType.F32);
        List<GgufTensor> tensors = new ArrayList<>();
        for (GgufTensor t : plan.tensors()) {
            String n = t.name();
            if (n.endsWith("attn_q.weight") || n.endsWith("attn_k.weight")) {
                String hf = "model.layers." + n.split("\\.")[1] + ".self_attn." + (n.contains("attn_q") ? "q" : "k") + "_proj.weight";
                tensors.add(GgufTensor.matrix(n, GgmlType.F32, TensorRows.of(m.tensor(hf))));
            } else {
                tensors.add(t);
            }
        }
        Files.createDirectories(out.resolve("llama-nopermute"));
        GgufWriter.write(out.resolve("llama-nopermute/model-F32.gguf"), plan.metadata(), tensors);
    }
}
