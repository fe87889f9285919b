package io.jtune.io.hf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.io.safetensors.SafetensorsCheckpoint;
import io.jtune.io.safetensors.SafetensorsException;
import io.jtune.io.safetensors.StoredTensor;
import io.jtune.model.arch.Families;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelFamily;
import io.jtune.model.arch.ModelTensor;
import io.jtune.tensor.DType;
import io.jtune.tensor.Matrix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A Hugging Face model directory opened for use: config.json parsed into a {@link ModelConfig},
 * generation_config.json (defaults when absent), and the safetensors weights (model.safetensors or
 * the sharded index) memory-mapped and checked against the tensors the config implies. Weights are
 * handed out by HF name as zero-copy {@link Matrix} views; they stay valid until {@link #close()}.
 */
public final class HfModelDirectory implements AutoCloseable {
    public static final String CONFIG_FILE = "config.json";

    /** The RoPE inverse frequencies older transformers versions saved as a buffer of every layer. */
    // transformers' saved per-layer RoPE buffers, and ChatGLM's one (transformer.rotary_pos_emb.inv_freq)
    private static final Pattern ROPE_BUFFER =
            Pattern.compile("model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq|transformer\\.rotary_pos_emb\\.inv_freq");

    private final Path dir;
    private final ObjectNode rawConfig;
    private final ModelConfig config;
    private final ObjectNode rawGenerationConfig; // null when the file is absent
    private final GenerationConfig generationConfig;
    private final SafetensorsCheckpoint checkpoint;
    private final List<ModelTensor> expected;
    private final Map<String, StoredTensor> tensors; // expected name -> tensor, in state-dict order
    private final BnbPrequantized prequantized;      // null unless a bitsandbytes 4-bit checkpoint

    private HfModelDirectory(Path dir, ObjectNode rawConfig, ModelConfig config, ObjectNode rawGenerationConfig,
                             GenerationConfig generationConfig, SafetensorsCheckpoint checkpoint,
                             List<ModelTensor> expected, Map<String, StoredTensor> tensors, BnbPrequantized prequantized) {
        this.dir = dir;
        this.rawConfig = rawConfig;
        this.config = config;
        this.rawGenerationConfig = rawGenerationConfig;
        this.generationConfig = generationConfig;
        this.checkpoint = checkpoint;
        this.expected = expected;
        this.tensors = tensors;
        this.prequantized = prequantized;
    }

    /**
     * Opens {@code dir}; fails with an {@link HfModelException} (or a {@link SafetensorsException}
     * for a damaged weight file) when a file is missing or bad, or when the weights do not match
     * config.json: a missing or unexpected tensor, a wrong shape, a non-float dtype.
     */
    public static HfModelDirectory open(Path dir) {
        if (!Files.isDirectory(dir)) throw new HfModelException(dir, "not a directory (expected a Hugging Face model directory)");
        Path configFile = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(configFile)) throw new HfModelException(dir, "no " + CONFIG_FILE + " in this directory");
        ObjectNode rawConfig = JsonKeys.readObject(configFile);
        ModelConfig config = HfConfigReader.parse(rawConfig, configFile);
        BnbPrequantized prequantized = BnbPrequantized.of(rawConfig, configFile);
        Path genFile = dir.resolve(GenerationConfig.FILE_NAME);
        ObjectNode rawGen = Files.exists(genFile) ? JsonKeys.readObject(genFile) : null;
        GenerationConfig gen = rawGen == null ? GenerationConfig.defaults() : GenerationConfig.parse(rawGen, genFile);
        SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir);
        try {
            List<ModelTensor> expected = Families.of(config).checkpointTensors(config);
            Map<String, StoredTensor> tensors = matchTensors(dir, config, Families.of(config).hfNames(), expected, checkpoint, prequantized);
            return new HfModelDirectory(dir, rawConfig, config, rawGen, gen, checkpoint, List.copyOf(expected), tensors, prequantized);
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    /** Pairs every expected tensor with the checkpoint's; reports up to five problems in one error. */
    private static Map<String, StoredTensor> matchTensors(Path dir, ModelConfig config, ModelFamily.HfNames names,
                                                         List<ModelTensor> expected, SafetensorsCheckpoint checkpoint,
                                                         BnbPrequantized prequantized) {
        List<String> problems = new ArrayList<>();
        Map<String, StoredTensor> out = new LinkedHashMap<>();
        for (ModelTensor e : expected) {
            StoredTensor t = checkpoint.find(e.name());
            if (t == null && names.basePrefix() != null && e.name().startsWith(names.basePrefix())) {
                t = checkpoint.find(e.name().substring(names.basePrefix().length()));   // saved from the base model
            }
            String want = StoredTensor.shapeString(e.shape());
            if (t != null && prequantized != null && BnbPrequantized.typeOf(checkpoint, e.name()) != null) {
                out.put(e.name(), t);   // bitsandbytes' packed codes: the layout is checked when the weight is read
            } else if (t == null) {
                problems.add("tensor '" + e.name() + "' is missing (expected shape " + want + ")");
            } else if (!t.hasShape(e.shape())) {
                problems.add("tensor '" + e.name() + "' has shape " + StoredTensor.shapeString(t.shape())
                        + " but config.json implies " + want + " (in " + t.file().getFileName() + ")");
            } else if (!t.dtype().isComputable()) {
                problems.add("tensor '" + e.name() + "' has dtype " + t.dtype() + "; weights must be F32, BF16 or F16");
            } else {
                out.put(e.name(), t);
            }
        }
        Set<String> expectedNames = new HashSet<>();
        for (ModelTensor e : expected) expectedNames.add(e.name());
        for (StoredTensor t : checkpoint.tensors()) {
            boolean quantState = prequantized != null && BnbPrequantized.isAuxiliary(t.name());
            boolean buffer = names.isIgnoredBuffer(t.name());
            if (!expectedNames.contains(names.canonical(t.name())) && !isIgnorable(t.name(), config) && !quantState && !buffer) {
                problems.add("unexpected tensor '" + t.name() + "' " + StoredTensor.shapeString(t.shape())
                        + " (not part of a " + config.modelType() + " model with this config.json)");
            }
        }
        if (!problems.isEmpty()) {
            String shown = String.join("; ", problems.subList(0, Math.min(5, problems.size())));
            String more = problems.size() > 5 ? "; and " + (problems.size() - 5) + " more" : "";
            throw new HfModelException(dir, "the weights do not match config.json: " + shown + more);
        }
        return out;
    }

    /**
     * True for a tensor that may sit in a checkpoint without being expected because transformers
     * ignores it on load: a saved RoPE buffer, and lm_head.weight when embeddings are tied
     * (transformers overwrites it with the embedding).
     */
    private static boolean isIgnorable(String name, ModelConfig config) {
        return ROPE_BUFFER.matcher(name).matches() || (config.tieWordEmbeddings() && name.equals("lm_head.weight"));
    }

    public Path directory() { return dir; }
    public ModelConfig config() { return config; }
    public GenerationConfig generationConfig() { return generationConfig; }

    /** config.json as read (a copy), for writing it back with only what must change. */
    public ObjectNode rawConfig() { return rawConfig.deepCopy(); }

    /** generation_config.json as read (a copy), or null when the directory has none. */
    public ObjectNode rawGenerationConfig() { return rawGenerationConfig == null ? null : rawGenerationConfig.deepCopy(); }

    /** The tensors the config implies, in state-dict order. */
    public List<ModelTensor> expectedTensors() { return expected; }

    /** The underlying weights (all tensors, including ignorable extras). */
    public SafetensorsCheckpoint checkpoint() { return checkpoint; }

    /** An expected weight by HF name, e.g. "model.layers.0.self_attn.q_proj.weight". */
    public StoredTensor tensor(String hfName) {
        StoredTensor t = tensors.get(hfName);
        if (t == null) {
            throw new HfModelException(dir, "tensor '" + hfName + "' is not a weight of this " + config.modelType()
                    + " model (names look like " + firstLayerTensor() + ")");
        }
        return t;
    }

    /** The first tensor of layer 0 (its q_proj weight in the Llama layout): an example of the names. */
    private String firstLayerTensor() {
        return expected.stream().filter(e -> e.layer() == 0).findFirst().orElse(expected.get(0)).name();
    }

    /**
     * A weight as a matrix: 2-D as [out, in], 1-D (norms, biases) as [1, n]; a zero-copy view, or
     * for a weight of a bitsandbytes 4-bit checkpoint its codes and absmax as they are stored. A weight
     * the checkpoint stores as [in, out] (GPT-2's Conv1D) comes transposed into an fp32 copy.
     */
    public Matrix matrix(String hfName) {
        StoredTensor t = tensor(hfName);
        ModelTensor e = expected.stream().filter(x -> x.name().equals(hfName)).findFirst().orElseThrow();
        if (isPrequantized(hfName)) {
            if (e.transposed()) throw new HfModelException(dir, "a bitsandbytes-quantized Conv1D weight (" + hfName + ") is not supported");
            return prequantized.matrix(checkpoint, e);
        }
        return e.transposed() ? transpose(t) : t.matrix();
    }

    /** Whether an expected tensor of this HF name is in the checkpoint. */
    public boolean has(String hfName) {
        return tensors.containsKey(hfName);
    }

    /** The names of the expected tensors, in state-dict order. */
    public Set<String> tensorNames() {
        return tensors.keySet();
    }

    /**
     * A Conv1D weight [in x out] as the engine's [out x in], in the checkpoint's dtype (a bf16 or f16
     * model's copy costs 2 bytes a weight, as its mapped view would), off the heap.
     */
    private static Matrix transpose(StoredTensor stored) {
        long[] shape = stored.shape();
        int in = (int) shape[0], out = (int) shape[1];
        int size = (int) stored.dtype().byteSize();
        MemorySegment src = stored.data();
        MemorySegment dst = java.lang.foreign.Arena.ofAuto().allocate((long) in * out * size, size);
        for (int r = 0; r < in; r++) {
            for (int c = 0; c < out; c++) {
                MemorySegment.copy(src, ((long) r * out + c) * size, dst, ((long) c * in + r) * size, size);
            }
        }
        return Matrix.of(dst, stored.dtype(), out, in);
    }

    /** True for a weight stored quantized by bitsandbytes (a load_in_4bit checkpoint's linear weights). */
    public boolean isPrequantized(String hfName) {
        return prequantized != null && tensors.containsKey(hfName) && BnbPrequantized.typeOf(checkpoint, hfName) != null;
    }

    /** True when config.json declares a bitsandbytes 4-bit checkpoint. */
    public boolean prequantized() {
        return prequantized != null;
    }

    /**
     * Scans every weight for NaN or infinity (it reads all of them once, so call it when asked to,
     * not on every load); the error names the first tensor with one and where.
     */
    public void checkFinite() {
        for (StoredTensor t : tensors.values()) {
            long at = firstNonFinite(t);
            if (at >= 0) {
                long[] shape = t.shape();
                String where = shape.length == 2 ? "[" + at / shape[1] + ", " + at % shape[1] + "]" : "[" + at + "]";
                throw new HfModelException(t.file(), "tensor '" + t.name() + "' holds NaN or infinity at " + where
                        + ": the checkpoint is damaged or was saved after a diverged training run");
            }
        }
    }

    /** Index of the first NaN/Inf element, or -1: an element is non-finite when its exponent bits are all ones. */
    static long firstNonFinite(StoredTensor t) {
        MemorySegment s = t.data();
        long n = t.elementCount();
        int chunk = 1 << 14;
        switch (t.dtype()) {
            case F32 -> {
                int[] buf = new int[chunk];
                ValueLayout.OfInt le = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
                for (long i = 0; i < n; i += chunk) {
                    int len = (int) Math.min(chunk, n - i);
                    MemorySegment.copy(s, le, i * 4, buf, 0, len);
                    for (int j = 0; j < len; j++) if ((buf[j] & 0x7f800000) == 0x7f800000) return i + j;
                }
            }
            case BF16, F16 -> {
                int mask = t.dtype() == DType.BF16 ? 0x7f80 : 0x7c00;
                short[] buf = new short[chunk];
                ValueLayout.OfShort le = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
                for (long i = 0; i < n; i += chunk) {
                    int len = (int) Math.min(chunk, n - i);
                    MemorySegment.copy(s, le, i * 2, buf, 0, len);
                    for (int j = 0; j < len; j++) if ((buf[j] & mask) == mask) return i + j;
                }
            }
            default -> { return -1; }
        }
        return -1;
    }

    @Override
    public void close() {
        checkpoint.close();
    }
}
