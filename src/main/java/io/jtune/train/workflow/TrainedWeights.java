package io.jtune.train.workflow;

import io.jtune.JtuneException;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.hf.HfModelWriter;
import io.jtune.io.peft.AdapterWeights;
import io.jtune.io.peft.LoraAdapterConfig;
import io.jtune.io.safetensors.SafetensorsCheckpoint;
import io.jtune.io.safetensors.TensorToWrite;
import io.jtune.model.CausalLM;
import io.jtune.model.TrainableParameter;
import io.jtune.model.ValueHead;
import io.jtune.model.arch.ModelTensor;
import io.jtune.tensor.DType;
import io.jtune.train.Trainer;
import io.jtune.train.checkpoint.FlatWeightsCheckpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Writes what training produced in the formats other tools read: a PEFT adapter for LoRA, a Hugging
 * Face model directory for full and freeze tuning. Checkpoints use the same layouts with trainable
 * tensors kept in fp32, so that a resume continues exactly.
 */
public final class TrainedWeights implements Trainer.CheckpointWeights {
    private final CausalLM model;
    private final HfModelDirectory base;           // null over a GGUF base (LoRA only)
    private final io.jtune.model.arch.ModelConfig config;
    private final List<ModelTensor> expectedTensors;
    private final com.fasterxml.jackson.databind.node.ObjectNode rawConfig;
    private final Path tokenizerDir;
    private final LoraAdapterConfig adapterConfig; // null unless LoRA

    public TrainedWeights(CausalLM model, HfModelDirectory base, LoraAdapterConfig adapterConfig) {
        this.model = model;
        this.base = base;
        this.config = base.config();
        this.expectedTensors = base.expectedTensors();
        this.rawConfig = base.rawConfig();
        this.tokenizerDir = base.directory();
        this.adapterConfig = adapterConfig;
    }

    /**
     * Over a GGUF base: only an adapter trains (the base weights stay in the file's types), so only
     * adapters are saved. {@code tokenizerDir} holds the tokenizer files rebuilt from the file.
     */
    public TrainedWeights(CausalLM model, io.jtune.io.gguf.GgufModel base, Path tokenizerDir, LoraAdapterConfig adapterConfig) {
        if (adapterConfig == null) throw new IllegalArgumentException("a GGUF base trains LoRA adapters only");
        this.model = model;
        this.base = null;
        this.config = base.config();
        this.expectedTensors = io.jtune.model.arch.Families.of(base.config()).checkpointTensors(base.config());
        this.rawConfig = base.rawConfig();
        this.tokenizerDir = tokenizerDir;
        this.adapterConfig = adapterConfig;
    }

    /** PEFT's target_modules: the module names that carry a LoRA adapter, e.g. [down_proj, gate_proj, ...]. */
    public static List<String> loraTargetModules(CausalLM model) {
        TreeSet<String> modules = new TreeSet<>();
        for (TrainableParameter p : model.trainableParameters()) {
            String n = p.name();
            int at = n.indexOf(".lora_A.");
            if (at > 0) modules.add(n.substring(n.lastIndexOf('.', at - 1) + 1, at));
        }
        return List.copyOf(modules);
    }

    /**
     * The parameter count HF's floating_point_ops multiplies by: every parameter of the model, the
     * adapter's included, except the embeddings (a tied lm_head is the embedding, so it is left out too).
     */
    public long flopsParameters() {
        long n = 0;
        java.util.Set<String> baseNames = new java.util.HashSet<>();
        for (ModelTensor e : expectedTensors) {
            baseNames.add(e.name());
            if (e.role() != io.jtune.model.arch.ModuleRole.EMBEDDING) n += e.vector() ? e.cols() : (long) e.rows() * e.cols();
        }
        for (TrainableParameter p : model.trainableParameters()) {
            if (!baseNames.contains(p.name())) n += p.size(); // the adapter's own tensors
        }
        return n;
    }

    /** The base's config.json as HF's PretrainedConfig.to_json_string writes it (indent 2, sorted keys). */
    public String modelConfigJson() {
        Map<String, Object> m = new com.fasterxml.jackson.databind.ObjectMapper().convertValue(rawConfig,
                new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {});
        return io.jtune.util.PythonJson.dumps(m, io.jtune.util.PythonJson.Options.DEFAULT.withIndent(2).withSortedKeys()) + "\n";
    }

    /** Checkpoint contents: the adapter (fp32) or the model with its trainable tensors in fp32; the value head beside them. */
    @Override
    public void save(Path dir) throws IOException {
        if (adapterConfig != null) {
            saveAdapter(dir);
            copyTokenizerFiles(dir, tokenizerDir); // as the HF Trainer saves the tokenizer in each checkpoint
        } else {
            saveModel(dir, null);
            saveValueHead(dir);
        }
        SpecialTokensMap.writeIfMissing(dir, tokenizerDir);
    }

    /**
     * Loads an adapter or checkpoint folder; a value head (stage rm) is restored from its
     * value_head.safetensors when the folder has one, and otherwise keeps its initialisation (training
     * a reward model from an sft adapter).
     */
    @Override
    public void load(Path dir) {
        if (adapterConfig != null) {
            if (model.valueHead() == null) {
                new FlatWeightsCheckpoint(model, AdapterWeights.ADAPTER_FILE).load(dir);
            } else {
                AdapterWeights.read(dir.resolve(AdapterWeights.ADAPTER_FILE), slots(false), model.parameterValues());
                loadValueHead(dir);
            }
            return;
        }
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
            Map<String, io.jtune.io.safetensors.StoredTensor> wanted = new HashMap<>();
            List<TrainableParameter> own = model.trainableParameters().stream().filter(p -> !isValueHead(p)).toList();
            for (TrainableParameter p : own) wanted.put(p.name(), ckpt.tensor(p.name()));
            float[] values = model.parameterValues();
            Map<String, ModelTensor> layout = new HashMap<>();
            if (base != null) for (ModelTensor e : base.expectedTensors()) layout.put(e.name(), e);
            for (TrainableParameter p : own) {
                var m = wanted.get(p.name()).matrix();
                float[] stored = new float[m.rows() * m.cols()];
                for (int r = 0; r < m.rows(); r++) m.readRow(r, 0, m.cols(), stored, r * m.cols());
                ModelTensor e = layout.get(p.name());
                float[] data = e == null ? stored : e.fromStoredLayout(stored);   // a Conv1D weight back to [out, in]
                System.arraycopy(data, 0, values, p.offset(), data.length);
            }
        }
        loadValueHead(dir);
    }

    public void saveAdapter(Path dir) throws IOException {
        saveAdapter(dir, adapterConfig);
    }

    /** The adapter's config (null unless LoRA). */
    public LoraAdapterConfig adapterConfig() { return adapterConfig; }

    /** The model whose trainable tensors this writes. */
    public CausalLM model() { return model; }

    /** Saves the adapter with another adapter_config.json (LLaMA-Factory's PiSSA folders say init_lora_weights: true). */
    public void saveAdapter(Path dir, LoraAdapterConfig config) throws IOException {
        if (model.valueHead() == null) {
            new FlatWeightsCheckpoint(model, AdapterWeights.ADAPTER_FILE).save(dir);
        } else {
            AdapterWeights.write(dir.resolve(AdapterWeights.ADAPTER_FILE), slots(false), model.parameterValues());
            saveValueHead(dir);
        }
        config.write(dir, model.family().storesTransposedWeights());
    }

    /** LLaMA-Factory's name for the value head's file beside the adapter or model. */
    public static final String VALUE_HEAD_FILE = "value_head.safetensors";

    private static boolean isValueHead(TrainableParameter p) {
        return p.name().equals(ValueHead.WEIGHT) || p.name().equals(ValueHead.BIAS);
    }

    /** The trainable tensors as file slots: the value head's, or all the others. */
    private List<AdapterWeights.Slot> slots(boolean valueHead) {
        return model.trainableParameters().stream().filter(p -> isValueHead(p) == valueHead)
                .map(p -> new AdapterWeights.Slot(p.name(), p.rows(), p.cols(), p.offset(), p.isVector())).toList();
    }

    private void saveValueHead(Path dir) throws IOException {
        if (model.valueHead() != null) AdapterWeights.write(dir.resolve(VALUE_HEAD_FILE), slots(true), model.parameterValues());
    }

    /**
     * Restores a value head from {@code dir}'s value_head.safetensors when the model has a head and the
     * folder has one (stage rm started from a reward model's folder, as LLaMA-Factory's load_valuehead_params).
     * Returns whether it did.
     */
    public boolean restoreValueHead(Path dir) {
        if (model.valueHead() == null || !java.nio.file.Files.isRegularFile(dir.resolve(VALUE_HEAD_FILE))) return false;
        loadValueHead(dir);
        return true;
    }

    private void loadValueHead(Path dir) {
        if (model.valueHead() != null && java.nio.file.Files.isRegularFile(dir.resolve(VALUE_HEAD_FILE))) {
            AdapterWeights.read(dir.resolve(VALUE_HEAD_FILE), slots(true), model.parameterValues());
        }
    }

    /**
     * Saves a complete model directory: trainable tensors from the engine, frozen ones copied from the
     * base checkpoint. {@code dtype} null keeps trainable tensors in fp32 (checkpoints); otherwise
     * every tensor is written in that dtype (the final model, in the base's dtype).
     */
    public void saveModel(Path dir, DType dtype) throws IOException {
        if (base == null) throw new JtuneException("a model over a GGUF base is saved as its LoRA adapter only");
        Map<String, TrainableParameter> trainable = new HashMap<>();
        for (TrainableParameter p : model.trainableParameters()) trainable.put(p.name(), p);
        float[] values = model.parameterValues();
        List<TensorToWrite> tensors = new ArrayList<>();
        for (ModelTensor e : base.expectedTensors()) {
            TrainableParameter p = trainable.get(e.name());
            if (p != null) {
                float[] data = e.toStoredLayout(Arrays.copyOfRange(values, p.offset(), p.offset() + p.size()));
                tensors.add(TensorToWrite.ofFloats(e.name(), dtype != null ? dtype : DType.F32, e.shape(), data));
            } else if (dtype == null || base.tensor(e.name()).dtype() == dtype) {
                var stored = base.tensor(e.name());   // under its full name (GPT-2 checkpoints may leave out "transformer.")
                tensors.add(TensorToWrite.ofBytes(e.name(), stored.dtype(), stored.shape(), stored.data()));
            } else {
                var m = base.tensor(e.name()).matrix();   // as stored ([in, out] for a Conv1D weight)
                float[] data = new float[m.rows() * m.cols()];
                for (int r = 0; r < m.rows(); r++) m.readRow(r, 0, m.cols(), data, r * m.cols());
                tensors.add(TensorToWrite.ofFloats(e.name(), dtype, e.shape(), data));
            }
        }
        DType recorded = dtype != null ? dtype : base.config().dtype() != null ? base.config().dtype() : DType.F32;
        HfModelWriter.save(dir, base, tensors, recorded);
    }

    /**
     * The final output: the adapter with the tokenizer files (as LLaMA-Factory saves them beside it),
     * or the whole model in the base's dtype.
     */
    public void saveFinal(Path dir, Path tokenizerDir) throws IOException {
        saveFinal(dir, tokenizerDir, null);
    }

    /**
     * As {@link #saveFinal(Path, Path)}, with special_tokens_map.json where the tokenizer files lack one
     * (transformers' save_pretrained always writes it) and the model card README.md when given.
     */
    public void saveFinal(Path dir, Path tokenizerDir, ModelCard card) throws IOException {
        if (adapterConfig != null) {
            saveAdapter(dir);
            copyTokenizerFiles(dir, tokenizerDir);
        } else {
            DType dtype = config.dtype() != null ? config.dtype() : DType.F32;
            saveModel(dir, dtype);
            saveValueHead(dir);
        }
        SpecialTokensMap.writeIfMissing(dir, tokenizerDir);
        if (card != null) card.write(dir);
    }

    private static void copyTokenizerFiles(Path dir, Path tokenizerDir) throws IOException {
        for (String name : HfModelWriter.TOKENIZER_FILES) {
            Path from = tokenizerDir.resolve(name);
            Path to = dir.resolve(name);
            if (java.nio.file.Files.isRegularFile(from) && !(java.nio.file.Files.exists(to) && java.nio.file.Files.isSameFile(from, to))) {
                io.jtune.util.AtomicFiles.write(to, out -> java.nio.file.Files.copy(from, out));
            }
        }
    }
}
