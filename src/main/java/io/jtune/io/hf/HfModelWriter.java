package io.jtune.io.hf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.io.safetensors.SafetensorsWriter;
import io.jtune.io.safetensors.StoredTensor;
import io.jtune.io.safetensors.TensorToWrite;
import io.jtune.model.arch.Families;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelTensor;
import io.jtune.tensor.DType;
import io.jtune.util.AtomicFiles;
import io.jtune.util.PythonJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Saves a model directory that transformers (and jtune) can load: the weights as sharded
 * safetensors, generation_config.json, the tokenizer files, and config.json written back as it
 * was read with only the dtype changed. config.json is written last, so a directory holding one is
 * complete. Every file goes through {@link AtomicFiles}.
 */
public final class HfModelWriter {
    /** Tokenizer files copied when present: tokenizers' and transformers' files for every tokenizer kind. */
    public static final List<String> TOKENIZER_FILES = List.of(
            "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
            "chat_template.jinja", "chat_template.json", "tokenizer.model", "vocab.json", "merges.txt");

    private HfModelWriter() {}

    /** Saves {@code tensors} with the configs and tokenizer of {@code source}, sharded at transformers' 5 GB default. */
    public static List<Path> save(Path outDir, HfModelDirectory source, List<TensorToWrite> tensors, DType dtype) throws IOException {
        return save(outDir, source.rawConfig(), source.rawGenerationConfig(), source.directory(), tensors, dtype,
                SafetensorsWriter.DEFAULT_MAX_SHARD_BYTES);
    }

    /**
     * Saves a model directory.
     *
     * @param config            config.json as read; only its dtype key ("dtype" or "torch_dtype", whichever it has) changes
     * @param generationConfig  written as generation_config.json when not null
     * @param tokenizerDir      where to copy tokenizer files from, or null
     * @param tensors           exactly the tensors the config's family declares for a checkpoint
     *                          ({@link io.jtune.model.arch.ModelFamily#checkpointTensors}), in any order
     * @param dtype             the dtype recorded in config.json (the weights' dtype)
     * @return the files written
     */
    public static List<Path> save(Path outDir, ObjectNode config, ObjectNode generationConfig, Path tokenizerDir,
                                  List<TensorToWrite> tensors, DType dtype, long maxShardBytes) throws IOException {
        Path configFile = outDir.resolve(HfModelDirectory.CONFIG_FILE);
        ObjectNode newConfig = config.deepCopy();
        if (!dtype.isComputable()) throw new HfModelException(configFile, "cannot save weights as " + dtype + " (allowed: F32, BF16, F16)");
        if (newConfig.has("dtype")) newConfig.put("dtype", dtype.torchName());
        if (newConfig.has("torch_dtype") || !newConfig.has("dtype")) newConfig.put("torch_dtype", dtype.torchName());
        ModelConfig modelConfig = HfConfigReader.parse(newConfig, configFile);
        List<TensorToWrite> ordered = inStateDictOrder(outDir, modelConfig, tensors);

        Files.createDirectories(outDir);
        List<Path> written = new ArrayList<>(SafetensorsWriter.writeCheckpoint(outDir, ordered, maxShardBytes));
        if (tokenizerDir != null) {
            for (String name : TOKENIZER_FILES) {
                Path from = tokenizerDir.resolve(name);
                Path to = outDir.resolve(name);
                if (Files.isRegularFile(from) && !isSameFile(from, to)) {
                    AtomicFiles.write(to, out -> Files.copy(from, out));
                    written.add(to);
                }
            }
        }
        if (generationConfig != null) {
            Path gen = outDir.resolve(GenerationConfig.FILE_NAME);
            AtomicFiles.writeString(gen, PythonJson.dumps(generationConfig, PythonJson.Options.DEFAULT.withIndent(2)) + "\n");
            written.add(gen);
        }
        AtomicFiles.writeString(configFile, PythonJson.dumps(newConfig, PythonJson.Options.DEFAULT.withIndent(2)) + "\n");
        written.add(configFile);
        return written;
    }

    /** Checks the tensors against the config (names, shapes, float dtypes) and orders them as transformers would. */
    private static List<TensorToWrite> inStateDictOrder(Path outDir, ModelConfig config, List<TensorToWrite> tensors) {
        Map<String, TensorToWrite> byName = new HashMap<>();
        for (TensorToWrite t : tensors) {
            if (byName.put(t.name(), t) != null) throw new HfModelException(outDir, "tensor '" + t.name() + "' given twice");
        }
        List<TensorToWrite> ordered = new ArrayList<>();
        for (ModelTensor e : Families.of(config).checkpointTensors(config)) {
            TensorToWrite t = byName.remove(e.name());
            if (t == null) {
                throw new HfModelException(outDir, "cannot save: tensor '" + e.name() + "' " + StoredTensor.shapeString(e.shape()) + " is missing");
            }
            if (!Arrays.equals(t.shape(), e.shape())) {
                throw new HfModelException(outDir, "cannot save: tensor '" + e.name() + "' has shape " + StoredTensor.shapeString(t.shape())
                        + " but the config implies " + StoredTensor.shapeString(e.shape()));
            }
            if (!t.dtype().isComputable()) {
                throw new HfModelException(outDir, "cannot save: tensor '" + e.name() + "' has dtype " + t.dtype() + " (allowed: F32, BF16, F16)");
            }
            ordered.add(t);
        }
        if (!byName.isEmpty()) {
            throw new HfModelException(outDir, "cannot save: unexpected tensors " + byName.keySet().stream().sorted().limit(5).toList()
                    + " are not part of a " + config.modelType() + " model with this config");
        }
        return ordered;
    }

    private static boolean isSameFile(Path a, Path b) throws IOException {
        return Files.exists(b) && Files.isSameFile(a, b);
    }
}
