package io.jtune.export;

import io.jtune.JtuneException;
import io.jtune.io.gguf.GgufFileType;
import io.jtune.io.gguf.GgufHfTokenizerFiles;
import io.jtune.io.gguf.GgufModel;
import io.jtune.io.gguf.GgufTokenizer;
import io.jtune.io.gguf.LlamaFamilyGguf;
import io.jtune.io.gguf.LoraAdapterGguf;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.peft.AdapterWeights;
import io.jtune.io.peft.LoraAdapterConfig;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.io.safetensors.StoredTensor;
import io.jtune.model.arch.ModelConfig;
import io.jtune.tokenizer.HfTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code export_gguf_adapter: true}: the PEFT LoRA adapter, unmerged, as a llama.cpp GGUF adapter
 * ({@link LoraAdapterGguf}), the base model as a GGUF file of type export_gguf, and an Ollama
 * Modelfile with {@code FROM} the base and {@code ADAPTER} the adapter, so that
 * {@code ollama create NAME -f Modelfile} serves the base with the adapter applied at run time. Over a
 * GGUF base (an adapter trained on a .gguf model_name_or_path) the Modelfile names that file instead.
 */
final class GgufAdapterExport {
    private final PrintStream log;

    GgufAdapterExport(PrintStream log) {
        this.log = log;
    }

    /** What the adapter export wrote: the adapter, the base GGUF, and the Modelfile (null without a template). */
    record Written(Path adapter, Path base, Path modelfile) {}

    /**
     * @param modelDir    the HF base folder
     * @param adapterDir  the PEFT adapter folder
     * @param exportDir   where everything goes (the tokenizer files with the template's fixes are already there)
     * @param baseType    the GGUF type of the base file
     */
    Written write(HfModelDirectory base, Path adapterDir, Path exportDir, GgufFileType baseType, String templateName)
            throws IOException {
        Path adapterTarget = writeAdapter(base.config(), adapterDir, exportDir);
        Path baseTarget = exportDir.resolve(base.directory().toAbsolutePath().normalize().getFileName() + "-" + baseType.name() + ".gguf");
        HfTokenizer hf = HfTokenizer.load(exportDir);
        try {
            GgufTokenizer tokenizer = GgufTokenizerFiles.read(exportDir, hf, base.config().vocabSize(), hf.chatTemplate());
            log.printf("Writing the base model %s (%s) ...%n", baseTarget, baseType.name());
            LlamaFamilyGguf.export(new HfDirectoryGgufSource(base, base.directory().toAbsolutePath().normalize().getFileName().toString(), tokenizer), baseType, baseTarget);
        } catch (IOException | RuntimeException | Error e) {
            ModelExport.removeGgufLeftovers(baseTarget);
            throw e;
        }
        Path modelfile = modelfile(exportDir, hf, templateName, baseTarget.getFileName().toString(), adapterTarget,
                base.config().maxPositionEmbeddings());
        return new Written(adapterTarget, baseTarget, modelfile);
    }

    /**
     * Over a GGUF base (model_name_or_path a .gguf): the adapter file and a Modelfile whose FROM is
     * that GGUF, by its absolute path; the base is not copied.
     */
    Written write(GgufModel base, Path adapterDir, Path exportDir, String templateName) throws IOException {
        Path adapterTarget = writeAdapter(base.config(), adapterDir, exportDir);
        HfTokenizer hf = HfTokenizer.load(GgufHfTokenizerFiles.folder(base));
        Path from = base.path().toAbsolutePath().normalize();
        Path modelfile = modelfile(exportDir, hf, templateName, from.toString(), adapterTarget, base.config().maxPositionEmbeddings());
        return new Written(adapterTarget, from, modelfile);
    }

    private Path modelfile(Path exportDir, HfTokenizer hf, String templateName, String from, Path adapter, int context)
            throws IOException {
        if (templateName == null || templateName.isBlank()) return null;
        return OllamaModelfiles.write(exportDir, hf, templateName, from, adapter.getFileName().toString(), context,
                w -> log.println("warning: " + w));
    }

    /** The adapter as export_dir/NAME-lora-F32.gguf (NAME the export folder's name). */
    private Path writeAdapter(ModelConfig base, Path adapterDir, Path exportDir) throws IOException {
        LoraAdapterConfig config = LoraAdapterConfig.read(adapterDir);
        refuseUnsupported(config, adapterDir);
        String name = exportDir.toAbsolutePath().normalize().getFileName().toString();
        Path target = exportDir.resolve(name + "-lora-F32.gguf");
        try (SafetensorsFile weights = SafetensorsFile.open(adapterDir.resolve(AdapterWeights.ADAPTER_FILE))) {
            List<LoraAdapterGguf.Pair> pairs = pairs(weights);
            log.printf("Writing %s (%d adapted weights, r=%d, alpha=%s) ...%n", target, pairs.size(), config.r(), config.loraAlpha());
            java.nio.file.Files.createDirectories(exportDir);
            LoraAdapterGguf.write(target, base, name, ggufAlpha(config), pairs);
        } catch (IOException | RuntimeException | Error e) {
            ModelExport.removeGgufLeftovers(target);
            throw e;
        }
        return target;
    }

    /**
     * llama.cpp scales B·A by alpha / r. PEFT's rsLoRA scales by lora_alpha / sqrt(r), which is the
     * same as an alpha of lora_alpha · sqrt(r) in llama.cpp's formula.
     */
    static double ggufAlpha(LoraAdapterConfig c) {
        return c.useRslora() ? c.loraAlpha() * Math.sqrt(c.r()) : c.loraAlpha();
    }

    /** What a llama.cpp adapter cannot carry: these adapters would load and silently compute something else. */
    private static void refuseUnsupported(LoraAdapterConfig c, Path adapterDir) {
        Path file = adapterDir.resolve(LoraAdapterConfig.FILE);
        if (c.useDora()) {
            throw new JtuneException(file + ": use_dora is true; llama.cpp's GGUF adapters are plain LoRA (no magnitude vector):"
                    + " merge the adapter instead (export without export_gguf_adapter)");
        }
        if (c.initLoraWeights().startsWith("pissa")) {
            throw new JtuneException(file + ": init_lora_weights is " + c.initLoraWeights() + "; a PiSSA adapter belongs to the"
                    + " residual base it was trained on, not to the original GGUF base: merge it instead (export without export_gguf_adapter)");
        }
        if (!c.modulesToSave().isEmpty()) {
            throw new JtuneException(file + ": modules_to_save " + c.modulesToSave() + " are trained fully; a GGUF adapter holds"
                    + " LoRA pairs only: merge the adapter instead (export without export_gguf_adapter)");
        }
    }

    /** The A/B pairs of adapter_model.safetensors by base weight name, in name order. */
    private static List<LoraAdapterGguf.Pair> pairs(SafetensorsFile weights) {
        Map<String, StoredTensor[]> byBase = new TreeMap<>();
        for (StoredTensor t : weights.tensors()) {
            String n = t.name();
            int which = n.endsWith(".lora_A.weight") ? 0 : n.endsWith(".lora_B.weight") ? 1 : -1;
            if (which < 0) {
                throw new JtuneException(weights.path() + ": tensor " + n + " is not a lora_A / lora_B weight; a GGUF adapter"
                        + " holds LoRA pairs only (embedding LoRA, DoRA magnitudes and fully trained modules are not supported)");
            }
            String baseName = n.substring(0, n.length() - ".lora_A.weight".length()) + ".weight";
            if (baseName.startsWith("base_model.model.")) baseName = baseName.substring("base_model.model.".length());
            byBase.computeIfAbsent(baseName, k -> new StoredTensor[2])[which] = t;
        }
        List<LoraAdapterGguf.Pair> out = new ArrayList<>();
        for (Map.Entry<String, StoredTensor[]> e : byBase.entrySet()) {
            StoredTensor[] ab = e.getValue();
            if (ab[0] == null || ab[1] == null) {
                throw new JtuneException(weights.path() + ": " + e.getKey() + " has lora_" + (ab[0] == null ? "B" : "A")
                        + " but no lora_" + (ab[0] == null ? "A" : "B"));
            }
            out.add(new LoraAdapterGguf.Pair(e.getKey(), ab[0].matrix(), ab[1].matrix()));
        }
        return out;
    }
}
