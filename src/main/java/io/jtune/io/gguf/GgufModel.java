package io.jtune.io.gguf;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.JtuneException;
import io.jtune.io.hf.HfConfigReader;
import io.jtune.model.WeightSource;
import io.jtune.model.arch.Families;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelTensor;
import io.jtune.model.arch.ModuleRole;
import io.jtune.tensor.DType;
import io.jtune.tensor.GgmlBlockMatrix;
import io.jtune.tensor.Matrix;
import io.jtune.tensor.Q8_0Matrix;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A model in a GGUF file (llama.cpp, Ollama) opened for jtune: the Hugging Face config rebuilt from
 * the architecture's metadata keys, and the weights by HF name as {@link Matrix} views of the
 * mapped file in their stored type (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K), widened
 * only in the GEMM's packing. Llama-architecture files store the q/k rows permuted for llama.cpp's
 * rope (see {@link LlamaPermutation}); those two weights are copied once into HF's row order, still
 * in their stored type.
 */
public final class GgufModel implements AutoCloseable {
    /** GGUF architectures jtune runs, with the HF model_type each becomes (Mistral files say "llama"). */
    private static final Map<String, String> MODEL_TYPES = Map.of("llama", "llama", "qwen2", "qwen2", "qwen3", "qwen3");

    private final GgufReader file;
    private final ObjectNode rawConfig;
    private final ModelConfig config;
    private final Map<String, Matrix> weights;
    private boolean closed;

    private GgufModel(GgufReader file, ObjectNode rawConfig, ModelConfig config, Map<String, Matrix> weights) {
        this.file = file;
        this.rawConfig = rawConfig;
        this.config = config;
        this.weights = weights;
    }

    /** True when {@code path} is a .gguf file or a folder that holds a GGUF model and no config.json. */
    public static boolean isGguf(Path path) {
        if (Files.isRegularFile(path)) return path.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf");
        return Files.isDirectory(path) && !Files.isRegularFile(path.resolve("config.json")) && !modelFiles(path).isEmpty();
    }

    /** The model file: {@code path} itself, or the one GGUF model in the folder (adapter files are left aside). */
    public static Path modelFile(Path path) {
        if (Files.isRegularFile(path)) return path;
        List<Path> files = modelFiles(path);
        if (files.size() != 1) {
            throw new JtuneException("model_name_or_path: " + path + " holds " + (files.isEmpty() ? "no" : files.size())
                    + " GGUF model files" + (files.isEmpty() ? "" : " " + files.stream().map(p -> p.getFileName().toString()).toList())
                    + "; name the .gguf file itself");
        }
        return files.get(0);
    }

    private static List<Path> modelFiles(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf"))
                    .filter(p -> !isAdapter(p)).sorted().toList();
        } catch (IOException e) {
            throw new JtuneException(dir + ": cannot list the folder: " + e.getMessage());
        }
    }

    private static boolean isAdapter(Path gguf) {
        try (GgufReader r = GgufReader.open(gguf)) {
            return "adapter".equals(r.metadata().contains("general.type") ? r.metadata().getString("general.type") : null);
        } catch (JtuneException e) {
            return false; // reported when it is opened as the model
        }
    }

    public static GgufModel open(Path path) {
        Path f = modelFile(path);
        GgufReader file = GgufReader.open(f);
        try {
            ObjectNode raw = hfConfig(file);
            ModelConfig config = HfConfigReader.parse(raw, f);
            return new GgufModel(file, raw, config, weights(file, config));
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    public Path path() { return file.path(); }
    public ModelConfig config() { return config; }
    public GgufMetadata metadata() { return file.metadata(); }

    /** The config.json a Hugging Face checkpoint of this model would have. */
    public ObjectNode rawConfig() { return rawConfig.deepCopy(); }

    /** The weights by HF name, views of the file (valid until {@link #close()}). */
    public WeightSource weights() {
        return WeightSource.of(weights, file.path().toString());
    }

    /** Unmaps the file; the weight views are invalid after it. Closing again does nothing (as for an HF folder). */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        file.close();
    }

    /** config.json from the architecture's keys ({arch}.block_count, ...), as convert_hf_to_gguf.py wrote them. */
    static ObjectNode hfConfig(GgufReader file) {
        GgufMetadata m = file.metadata();
        String where = file.path().toString();
        if (!m.contains("general.architecture")) throw new JtuneException(where + ": general.architecture is missing");
        String arch = m.getString("general.architecture");
        if (m.contains("general.type") && m.getString("general.type").equals("adapter")) {
            throw new JtuneException(where + ": is a LoRA adapter (general.type adapter), not a model; give the base model's GGUF");
        }
        String modelType = MODEL_TYPES.get(arch);
        if (modelType == null) {
            throw new JtuneException(where + ": GGUF architecture '" + arch + "' is not supported by jtune (supported: "
                    + String.join(", ", new java.util.TreeSet<>(MODEL_TYPES.keySet())) + ")");
        }
        if (m.contains(arch + ".expert_count") && m.getLong(arch + ".expert_count") > 0) {
            throw new JtuneException(where + ": mixture-of-experts GGUF models (" + arch + ".expert_count) are not supported yet as input;"
                    + " open the model's Hugging Face folder instead");
        }
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put("model_type", modelType);
        c.put("hidden_size", required(m, arch + ".embedding_length", where));
        c.put("intermediate_size", required(m, arch + ".feed_forward_length", where));
        c.put("num_hidden_layers", required(m, arch + ".block_count", where));
        long heads = required(m, arch + ".attention.head_count", where);
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", m.contains(arch + ".attention.head_count_kv") ? m.getLong(arch + ".attention.head_count_kv") : heads);
        if (m.contains(arch + ".attention.key_length")) c.put("head_dim", m.getLong(arch + ".attention.key_length"));
        c.put("max_position_embeddings", required(m, arch + ".context_length", where));
        c.put("rms_norm_eps", (float) m.getDouble(arch + ".attention.layer_norm_rms_epsilon"));
        c.put("rope_theta", m.contains(arch + ".rope.freq_base") ? (float) m.getDouble(arch + ".rope.freq_base") : 10000.0);
        addRopeScaling(c, m, arch, file);
        GgufReader.TensorInfo embd = file.tensor("token_embd.weight");
        c.put("vocab_size", embd.dims()[1]);
        boolean tied = !file.tensors().stream().anyMatch(t -> t.name().equals("output.weight"));
        c.put("tie_word_embeddings", tied);
        if (modelType.equals("llama")) c.put("attention_bias", file.tensors().stream().anyMatch(t -> t.name().equals("blk.0.attn_q.bias")));
        if (m.contains("tokenizer.ggml.bos_token_id")) c.put("bos_token_id", m.getLong("tokenizer.ggml.bos_token_id"));
        if (m.contains("tokenizer.ggml.eos_token_id")) c.put("eos_token_id", m.getLong("tokenizer.ggml.eos_token_id"));
        c.put("torch_dtype", switch (embd.type()) {
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> "float32";
        });
        return c;
    }

    private static void addRopeScaling(ObjectNode c, GgufMetadata m, String arch, GgufReader file) {
        if (file.tensors().stream().anyMatch(t -> t.name().equals("rope_freqs.weight"))) {
            throw new JtuneException(file.path() + ": the rope_freqs tensor (Llama 3.1-style rope scaling) is not read by jtune yet;"
                    + " use the Hugging Face checkpoint");
        }
        String key = arch + ".rope.scaling.type";
        if (!m.contains(key) || m.getString(key).equals("none")) return;
        String type = m.getString(key);
        ObjectNode s = c.putObject("rope_scaling");
        s.put("rope_type", type);
        s.put("factor", (float) m.getDouble(arch + ".rope.scaling.factor"));
        if (type.equals("yarn")) {
            s.put("original_max_position_embeddings", m.getLong(arch + ".rope.scaling.original_context_length"));
        } else if (!type.equals("linear")) {
            throw new JtuneException(file.path() + ": " + key + " '" + type + "' is not supported (linear, yarn are)");
        }
    }

    private static long required(GgufMetadata m, String key, String where) {
        if (!m.contains(key)) throw new JtuneException(where + ": metadata key " + key + " is missing");
        return m.getLong(key);
    }

    /** Every tensor the config implies, by HF name, checked against the file's shapes. */
    private static Map<String, Matrix> weights(GgufReader file, ModelConfig c) {
        var family = Families.of(c);
        boolean permuted = family.ggufArchitecture().equals("llama");
        Map<String, Matrix> out = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (ModelTensor t : family.checkpointTensors(c)) {
            GgufReader.TensorInfo info = file.tensors().stream().filter(x -> x.name().equals(t.gguf())).findFirst().orElse(null);
            if (info == null) {
                problems.add("tensor " + t.gguf() + " (" + t.name() + ") is missing");
                continue;
            }
            long cols = info.dims()[0], rows = info.dims().length > 1 ? info.dims()[1] : 1;
            if (info.dims().length > 2 || cols != t.cols() || rows != t.rows()) {
                problems.add("tensor " + t.gguf() + " has ggml shape " + java.util.Arrays.toString(info.dims()) + ", the metadata implies ["
                        + t.cols() + (t.vector() ? "" : ", " + t.rows()) + "]");
                continue;
            }
            MemorySegment data = file.segment(t.gguf());
            int heads = !permuted ? 0 : t.role() == ModuleRole.Q_PROJ ? c.numAttentionHeads() : t.role() == ModuleRole.K_PROJ ? c.numKeyValueHeads() : 0;
            if (t.vector()) {
                if (heads > 0) data = unpermute(data, t.cols(), 1, info.type(), heads, t.name());
                out.put(t.name(), view(info.type(), data, 1, t.cols(), t.gguf(), file));
            } else {
                if (heads > 0) data = unpermute(data, t.rows(), t.cols(), info.type(), heads, t.name());
                out.put(t.name(), view(info.type(), data, t.rows(), t.cols(), t.gguf(), file));
            }
        }
        if (!problems.isEmpty()) {
            throw new JtuneException(file.path() + ": the tensors do not match the metadata: "
                    + String.join("; ", problems.subList(0, Math.min(5, problems.size()))) + (problems.size() > 5 ? "; ..." : ""));
        }
        return out;
    }

    private static Matrix view(GgmlType type, MemorySegment data, int rows, int cols, String name, GgufReader file) {
        return switch (type) {
            case F32 -> Matrix.of(data, DType.F32, rows, cols);
            case F16 -> Matrix.of(data, DType.F16, rows, cols);
            case BF16 -> Matrix.of(data, DType.BF16, rows, cols);
            case Q8_0 -> Q8_0Matrix.view(data, rows, cols);
            default -> {
                if (rows == 1) throw new JtuneException(file.path() + ": 1-D tensor " + name + " is stored as " + type + "; expected F32");
                yield GgmlBlockMatrix.view(type.blockFormat(), data, rows, cols);
            }
        };
    }

    /**
     * HF's row order from llama.cpp's: row h of the HF weight is row inverse[h] of the file. For a
     * 1-D tensor (a bias) the "rows" are its elements. The copy keeps the stored type.
     */
    private static MemorySegment unpermute(MemorySegment data, int rows, int cols, GgmlType type, int heads, String name) {
        int[] fileRowOf = LlamaPermutation.inverse(LlamaPermutation.sourceRows(rows, heads, name));
        long rowBytes = cols == 1 && type == GgmlType.F32 ? 4 : type.rowBytes(cols);
        MemorySegment out = Arena.ofAuto().allocate(rows * rowBytes, 64);
        for (int h = 0; h < rows; h++) MemorySegment.copy(data, fileRowOf[h] * rowBytes, out, h * rowBytes, rowBytes);
        return out;
    }
}
