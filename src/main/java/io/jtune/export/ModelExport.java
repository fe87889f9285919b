package io.jtune.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.JtuneException;
import io.jtune.config.ExportArguments;
import io.jtune.config.JtuneConfig;
import io.jtune.config.ModelArguments;
import io.jtune.data.template.Template;
import io.jtune.data.template.Templates;
import io.jtune.io.gguf.GgufFileType;
import io.jtune.io.gguf.GgufModel;
import io.jtune.io.gguf.GgufTokenizer;
import io.jtune.io.gguf.LlamaFamilyGguf;
import io.jtune.io.gguf.OllamaModelfile;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.hf.HfModelWriter;
import io.jtune.io.hf.HfWeightSource;
import io.jtune.io.hub.HubClient;
import io.jtune.io.hub.ModelLocator;
import io.jtune.io.peft.AdapterWeights;
import io.jtune.io.peft.LoraAdapterConfig;
import io.jtune.io.peft.PeftAdapters;
import io.jtune.model.CausalLM;
import io.jtune.model.InferenceModels;
import io.jtune.model.LoraAdapter;
import io.jtune.model.QuantizedWeights;
import io.jtune.model.WeightQuantization;
import io.jtune.model.WeightSource;
import io.jtune.model.arch.Families;
import io.jtune.tensor.DType;
import io.jtune.tokenizer.HfTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code jtune export}: LLaMA-Factory's export_model. Merges a LoRA adapter into its base (or takes
 * the base alone) and writes a Hugging Face model directory to export_dir: sharded safetensors in
 * the base's dtype, config.json, generation_config.json, the tokenizer files with the template's
 * fixes and chat template, and an Ollama Modelfile. With export_gguf it also writes a GGUF file of
 * the exported weights, read back from the safetensors just written. On a quantized base
 * (quantization_bit, or a bitsandbytes 4-bit checkpoint) it merges into the dequantized weights and
 * writes them in the export dtype, with a warning. With export_gguf_adapter the adapter is not merged:
 * it is written as a llama.cpp GGUF adapter beside the base as GGUF ({@link GgufAdapterExport}).
 */
public final class ModelExport {
    private final JtuneConfig config;
    private final PrintStream log;

    public ModelExport(JtuneConfig config, PrintStream log) {
        this.config = config;
        this.log = log;
    }

    /**
     * What an export wrote.
     *
     * @param gguf        the model GGUF (merged, or the base with export_gguf_adapter), or null
     * @param ggufAdapter the GGUF LoRA adapter (export_gguf_adapter), or null
     */
    public record Result(Path exportDir, List<Path> files, Path gguf, Path modelfile, Path ggufAdapter) {
        public Result(Path exportDir, List<Path> files, Path gguf, Path modelfile) {
            this(exportDir, files, gguf, modelfile, null);
        }
    }

    public Result run() throws IOException {
        for (String w : config.warnings()) log.println("warning: " + w);
        ExportArguments export = config.export();
        ModelArguments modelArgs = config.model();
        if (export.exportDir() == null || export.exportDir().isBlank()) {
            throw new JtuneException(config.source() + ": export_dir is required: the folder to save the exported model to");
        }
        Path exportDir = Path.of(export.exportDir());
        GgufFileType ggufType = export.exportGguf() == null ? null : GgufFileType.parse(export.exportGguf());
        String templateName = config.data().template();
        Template template = templateName == null || templateName.isBlank() ? null : Templates.get(templateName);
        if (template != null && config.data().defaultSystem() != null) template = template.withDefaultSystem(config.data().defaultSystem());

        Path adapterDir = adapterDir(modelArgs);
        Path modelDir = ModelLocator.fromEnvironment().locate(modelArgs.modelNameOrPath(), null, HubClient.DownloadProgress.SILENT);
        if (GgufModel.isGguf(modelDir)) return exportOverGguf(modelDir, adapterDir, exportDir, templateName);
        refuseQuantizedBase(modelDir, adapterDir != null);
        refuseOverwritingInputs(exportDir, modelDir, adapterDir);
        // tokenizer.json, or a sentencepiece tokenizer.model where a folder has none (ChatGLM3)
        boolean hasTokenizerJson = Files.isRegularFile(modelDir.resolve("tokenizer.json"))
                || Files.isRegularFile(modelDir.resolve("tokenizer.model"));
        if ((ggufType != null || export.exportGgufAdapter()) && !hasTokenizerJson) {
            throw new JtuneException((ggufType != null ? "export_gguf: " : "export_gguf_adapter: ") + modelDir
                    + " has neither tokenizer.json nor tokenizer.model, which the GGUF tokenizer keys are built from");
        }
        if (export.exportGgufAdapter()) refuseMixtureOfExpertsGgufAdapter(modelDir);
        if (ggufType != null) LlamaFamilyGguf.requireExportable(io.jtune.io.hf.HfConfigReader.read(modelDir.resolve("config.json")));
        if (export.exportGgufAdapter()) {
            return exportAdapter(modelDir, adapterDir, exportDir, ggufType == null ? GgufFileType.F16 : ggufType, template, templateName);
        }

        List<Path> written = new ArrayList<>();
        Path modelfile;
        HfTokenizer tokenizer;
        int context;
        try (HfModelDirectory base = HfModelDirectory.open(modelDir)) {
            WeightQuantization quantization = base.prequantized() ? null
                    : WeightQuantization.of(modelArgs.quantizationBit(), modelArgs.quantizationType(), modelArgs.doubleQuantization());
            boolean dequantizing = base.prequantized() || quantization != null;
            WeightSource weights = QuantizedWeights.over(new HfWeightSource(base), base.config(), quantization);
            LoraAdapter merged = adapterDir == null ? null : loadWithAdapter(base, weights, adapterDir);
            DType dtype = base.config().dtype() != null ? base.config().dtype() : base.tensor(Families.of(base.config()).embeddingWeightName()).dtype();
            log.printf("Exporting %s%s to %s (%s, shards of at most %d GB)%n", modelDir,
                    adapterDir == null ? "" : " merged with " + adapterDir, exportDir, dtype.torchName(), export.exportSizeGb());
            if (dequantizing) log.println("warning: " + dequantizedExportWarning(base, quantization, merged != null, dtype));
            ObjectNode rawConfig = base.rawConfig();
            rawConfig.remove("quantization_config");   // the weights written are dequantized

            // Tokenizer first and config.json last, so a folder holding config.json is complete.
            TokenizerFilesExport.export(modelDir, exportDir, template, w -> log.println("warning: " + w));
            tokenizer = hasTokenizerJson ? HfTokenizer.load(exportDir) : null;
            written.addAll(HfModelWriter.save(exportDir, rawConfig, generationConfig(base), null,
                    MergedTensors.of(base, merged, dtype, dequantizing ? weights : null), dtype, export.exportShardBytes()));
            context = base.config().maxPositionEmbeddings();
            modelfile = writeModelfile(exportDir, tokenizer, templateName, null, context);
        }
        Path gguf = null;
        if (ggufType != null) {
            gguf = writeGguf(exportDir, tokenizer, ggufType);
            written.add(gguf);
            Path ggufModelfile = writeModelfile(exportDir, tokenizer, templateName, gguf.getFileName().toString(), context);
            if (ggufModelfile != null) modelfile = ggufModelfile;
        }
        if (modelfile != null) written.add(modelfile);
        log.println("Exported to " + exportDir.toAbsolutePath());
        return new Result(exportDir, written, gguf, modelfile);
    }

    /**
     * A GGUF LoRA adapter over a Mixture-of-Experts model would need its experts' factors stacked as
     * llama.cpp stacks the experts (ffn_gate_exps, ...), which jtune does not write yet: refused before
     * anything is written (a merged export_gguf works).
     */
    private static void refuseMixtureOfExpertsGgufAdapter(Path modelDir) {
        io.jtune.model.arch.ModelConfig c = io.jtune.io.hf.HfConfigReader.read(modelDir.resolve("config.json"));
        if (c.moe() != null) {
            throw new JtuneException("export_gguf_adapter: " + modelDir + " is a Mixture-of-Experts model (" + c.modelType()
                    + "); a GGUF LoRA adapter over MoE experts is not supported yet. Merge the adapter instead (export_gguf"
                    + " without export_gguf_adapter)");
        }
    }

    /**
     * export_gguf_adapter: the adapter stays unmerged. export_dir gets the tokenizer files (with the
     * template's fixes), the base as GGUF, the adapter as a GGUF LoRA adapter, and a Modelfile naming both.
     */
    private Result exportAdapter(Path modelDir, Path adapterDir, Path exportDir, GgufFileType baseType, Template template,
                                 String templateName) throws IOException {
        if (adapterDir == null) {
            throw new JtuneException(config.source() + ": export_gguf_adapter needs adapter_name_or_path: the PEFT LoRA adapter to write as GGUF");
        }
        try (HfModelDirectory base = HfModelDirectory.open(modelDir)) {
            if (base.prequantized()) {
                throw new JtuneException(modelDir + ": export_gguf_adapter needs the full-precision base (this checkpoint is"
                        + " bitsandbytes-quantized); give the original model as model_name_or_path");
            }
            if (config.model().quantizationBit() != null) {
                log.println("warning: quantization_bit is set: the adapter was trained on quantized weights; the GGUF base is written"
                        + " from the full-precision checkpoint, as llama.cpp and Ollama apply adapters to it");
            }
            log.printf("Exporting %s as a GGUF LoRA adapter for %s to %s%n", adapterDir, modelDir, exportDir);
            TokenizerFilesExport.export(modelDir, exportDir, template, w -> log.println("warning: " + w));
            GgufAdapterExport.Written w = new GgufAdapterExport(log).write(base, adapterDir, exportDir, baseType, templateName);
            List<Path> written = new ArrayList<>(List.of(w.base(), w.adapter()));
            if (w.modelfile() != null) written.add(w.modelfile());
            log.println("Exported to " + exportDir.toAbsolutePath());
            return new Result(exportDir, written, w.base(), w.modelfile(), w.adapter());
        }
    }

    /**
     * A GGUF base: only its adapter is exported (export_gguf_adapter), with a Modelfile naming the
     * GGUF; merging into a (possibly quantized) GGUF's weights is not supported.
     */
    private Result exportOverGguf(Path ggufPath, Path adapterDir, Path exportDir, String templateName) throws IOException {
        ExportArguments export = config.export();
        if (!export.exportGgufAdapter() || adapterDir == null) {
            throw new JtuneException("model_name_or_path: " + ggufPath + " is a GGUF model; from a GGUF base jtune exports the LoRA"
                    + " adapter only: set export_gguf_adapter: true and adapter_name_or_path (merging into GGUF weights is not supported)");
        }
        if (export.exportGguf() != null) log.println("warning: export_gguf does not apply: the base is already the GGUF " + ggufPath);
        try (GgufModel base = GgufModel.open(ggufPath)) {
            log.printf("Exporting %s as a GGUF LoRA adapter for %s to %s%n", adapterDir, base.path(), exportDir);
            GgufAdapterExport.Written w = new GgufAdapterExport(log).write(base, adapterDir, exportDir, templateName);
            List<Path> written = new ArrayList<>(List.of(w.adapter()));
            if (w.modelfile() != null) written.add(w.modelfile());
            log.println("Exported to " + exportDir.toAbsolutePath());
            return new Result(exportDir, written, w.base(), w.modelfile(), w.adapter());
        }
    }

    /** The one adapter folder, checked, or null. */
    private Path adapterDir(ModelArguments m) {
        if (m.adapterNameOrPath().isEmpty()) return null;
        if (m.adapterNameOrPath().size() > 1) {
            throw new JtuneException("adapter_name_or_path: merging several adapters (" + m.adapterNameOrPath() + ") is not supported yet; give one");
        }
        if (!config.finetuning().isLora()) {
            throw new JtuneException("adapter_name_or_path needs finetuning_type: lora (it is " + config.finetuning().finetuningType() + ")");
        }
        Path dir = Path.of(m.adapterNameOrPath().get(0));
        if (!Files.isDirectory(dir)) throw new JtuneException("adapter_name_or_path: " + dir + " is not a folder");
        if (!Files.isRegularFile(dir.resolve(AdapterWeights.ADAPTER_FILE))) {
            String found = Files.isRegularFile(dir.resolve("adapter_model.bin"))
                    ? " (it has adapter_model.bin: jtune reads safetensors adapters only; re-save it with safe_serialization=True)" : "";
            throw new JtuneException("adapter_name_or_path: " + dir + " has no " + AdapterWeights.ADAPTER_FILE + found);
        }
        return dir;
    }

    /**
     * What a merge on a quantized base means. LLaMA-Factory refuses it ("Cannot merge adapters to a
     * quantized model."); jtune merges into the dequantized weights, which is the model the adapter
     * was trained on, and says so.
     */
    private static String dequantizedExportWarning(HfModelDirectory base, WeightQuantization quantization, boolean merging,
                                                   DType dtype) {
        String storage = quantization != null ? quantization.describe() + " (quantization_bit)"
                : "bitsandbytes 4-bit (the checkpoint's quantization_config)";
        return (merging ? "merging the adapter into the dequantized weights of the " : "writing the dequantized weights of the ")
                + storage + " base, in " + dtype.torchName() + ": every decoder linear weight carries the quantization error"
                + " (LLaMA-Factory refuses this merge: \"Cannot merge adapters to a quantized model.\"); for a merge into the"
                + " original weights, export from the full-precision model without quantization_bit";
    }

    /**
     * LLaMA-Factory's rule for checkpoints quantized by other methods (GPTQ, AWQ, ...): adapters merge
     * into full-precision weights only. A bitsandbytes 4-bit checkpoint is dequantized instead.
     */
    private static void refuseQuantizedBase(Path modelDir, boolean merging) {
        Path configFile = modelDir.resolve(HfModelDirectory.CONFIG_FILE);
        if (!Files.isRegularFile(configFile)) return; // HfModelDirectory.open reports it
        JsonNode quantization;
        try {
            quantization = new ObjectMapper().readTree(configFile.toFile()).get("quantization_config");
        } catch (IOException e) {
            return; // HfModelDirectory.open reports the bad JSON with its position
        }
        if (quantization == null || quantization.isNull()) return;
        String method = quantization.path("quant_method").asText("unknown");
        if (method.equals("bitsandbytes")) return;   // HfModelDirectory reads (or refuses) it
        if (merging) {
            throw new JtuneException(configFile + ": the base model is quantized (quantization_config, quant_method " + method
                    + "); cannot merge adapters into a quantized model: merge into the full-precision base, then quantize");
        }
        throw new JtuneException(configFile + ": quantized checkpoints (quant_method " + method + ") are not supported by jtune");
    }

    private static void refuseOverwritingInputs(Path exportDir, Path modelDir, Path adapterDir) throws IOException {
        if (Files.exists(exportDir) && !Files.isDirectory(exportDir)) {
            throw new JtuneException("export_dir: " + exportDir + " exists and is not a folder");
        }
        for (Path input : adapterDir == null ? List.of(modelDir) : List.of(modelDir, adapterDir)) {
            if (Files.isDirectory(exportDir) && Files.isSameFile(exportDir, input)) {
                throw new JtuneException("export_dir: " + exportDir + " is the folder being read (" + input + "); choose another export_dir");
            }
        }
    }

    /** The adapter's LoRA weights (and modules_to_save tensors) loaded over the frozen base, as PEFT's LoraModel. */
    private LoraAdapter loadWithAdapter(HfModelDirectory base, WeightSource weights, Path adapterDir) {
        LoraAdapterConfig a = LoraAdapterConfig.read(adapterDir);
        CausalLM model = InferenceModels.frozen(base.config(), weights);
        LoraAdapter adapter;
        try {
            adapter = LoraAdapter.attach(model, "export", PeftAdapters.spec(a), 0);
        } catch (JtuneException e) {
            throw new JtuneException(adapterDir.resolve(LoraAdapterConfig.FILE) + " does not fit the base model " + base.directory()
                    + ": " + e.getMessage());
        }
        PeftAdapters.readWeights(adapter.parameters(), adapterDir.resolve(AdapterWeights.ADAPTER_FILE));
        Set<String> changed = MergedTensors.changedByAdapter(adapter);
        for (String name : changed) {
            if (base.expectedTensors().stream().noneMatch(e -> e.name().equals(name))) {
                throw new JtuneException(adapterDir + ": the adapter trains " + name + ", which this model ties to the embeddings;"
                        + " merging it is not supported");
            }
        }
        log.printf("Merging adapter %s (r=%d, alpha=%s, %d tensors changed)%n", adapterDir, a.r(), a.loraAlpha(), changed.size());
        return adapter;
    }

    /** generation_config.json as LLaMA-Factory's patch_model leaves it: sampling switched on when its settings ask for it. */
    private static ObjectNode generationConfig(HfModelDirectory base) {
        ObjectNode gen = base.rawGenerationConfig();
        if (gen == null) return null;
        boolean sampling = gen.path("do_sample").asBoolean(false);
        boolean asks = notOne(gen, "temperature") || notOne(gen, "top_p") || notOne(gen, "typical_p");
        if (!sampling && asks) gen.put("do_sample", true);
        return gen;
    }

    private static boolean notOne(ObjectNode n, String key) {
        JsonNode v = n.get(key);
        return v != null && v.isNumber() && v.asDouble() != 1.0;
    }

    /**
     * Writes export_dir/Modelfile for Ollama when a template is set, as LLaMA-Factory does; a
     * template jtune has no Ollama form for is a warning, not a failed export.
     */
    private Path writeModelfile(Path exportDir, HfTokenizer tokenizer, String templateName, String ggufFileName, int context)
            throws IOException {
        if (templateName == null || templateName.isBlank()) return null;
        if (tokenizer == null) {
            log.println("warning: no Modelfile written: the model has no tokenizer.json to read the stop tokens from");
            return null;
        }
        return OllamaModelfiles.write(exportDir, tokenizer, templateName, ggufFileName,
                context > 0 ? context : OllamaModelfile.DEFAULT_NUM_CTX, w -> log.println("warning: " + w));
    }

    /** Streams the exported safetensors into export_dir/NAME-TYPE.gguf. */
    private Path writeGguf(Path exportDir, HfTokenizer hf, GgufFileType type) throws IOException {
        String name = exportDir.toAbsolutePath().normalize().getFileName().toString();
        Path target = exportDir.resolve(name + "-" + type.name() + ".gguf");
        try (HfModelDirectory exported = HfModelDirectory.open(exportDir)) {
            GgufTokenizer tokenizer = GgufTokenizerFiles.read(exportDir, hf, exported.config().vocabSize(), hf.chatTemplate());
            log.printf("Writing %s (%s) ...%n", target, type.name());
            LlamaFamilyGguf.export(new HfDirectoryGgufSource(exported, name, tokenizer), type, target);
        } catch (IOException | RuntimeException | Error e) {
            removeGgufLeftovers(target);
            throw e;
        }
        return target;
    }

    /**
     * After a failed GGUF step: its temporary file (AtomicFiles' ".NAME.gguf.*.tmp", also left by a
     * killed earlier try) and a GGUF of that name from an earlier export, which no longer matches the
     * weights just exported beside it. The Modelfile already written names the safetensors folder.
     */
    static void removeGgufLeftovers(Path target) {
        String prefix = "." + target.getFileName() + ".";
        try (var files = Files.newDirectoryStream(target.toAbsolutePath().getParent(),
                f -> f.getFileName().toString().startsWith(prefix) && f.getFileName().toString().endsWith(".tmp"))) {
            for (Path f : files) Files.deleteIfExists(f);
            Files.deleteIfExists(target);
        } catch (IOException cleanup) {
            // the step's own error is the one to report; a leftover is named in no message
        }
    }
}
