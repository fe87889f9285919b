package io.jtune.infer;

import io.jtune.JtuneException;
import io.jtune.config.DataArguments;
import io.jtune.config.JtuneConfig;
import io.jtune.config.ModelArguments;
import io.jtune.data.template.ChatTokenizer;
import io.jtune.data.template.ModelChatTemplate;
import io.jtune.data.template.Template;
import io.jtune.data.template.Templates;
import io.jtune.data.template.ToolStyles;
import io.jtune.io.gguf.GgufHfTokenizerFiles;
import io.jtune.io.gguf.GgufModel;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.hf.HfWeightSource;
import io.jtune.io.hub.HubClient;
import io.jtune.io.hub.ModelLocator;
import io.jtune.io.peft.PeftAdapters;
import io.jtune.model.CausalLM;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.InferenceModels;
import io.jtune.model.LoraAdapter;
import io.jtune.model.QuantizedWeights;
import io.jtune.model.WeightQuantization;
import io.jtune.model.WeightSource;
import io.jtune.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model loaded for generation, as LLaMA-Factory's chat/api/predict load it from the config:
 * model_name_or_path (weights memory-mapped in their dtype, or quantized on loading with
 * quantization_bit; a bitsandbytes 4-bit checkpoint as stored), optional PEFT LoRA adapters
 * (adapter_name_or_path: applied in order, all but the last merged, the last unmerged), the adapters
 * served by name (lora_modules, {@link ServedAdapters}), the tokenizer, the prompt format (the
 * template the config names, with default_system, enable_thinking and tool_format; without one, the
 * model's own Jinja chat template, as vLLM uses it), the stop ids and the generating keys. Keeps the
 * model directory open (the weights are mapped from it) until {@link #close()}.
 */
public final class ChatModel implements AutoCloseable {
    private final AutoCloseable base;       // the HF folder or GGUF file the weights are mapped from
    private final CausalLM model;
    private final LoraAdapter adapter;      // null: the base model
    private final ServedAdapters served;    // lora_modules and adapters loaded at run time
    private final HfTokenizer tokenizer;
    private final PromptFormat format;
    private final Set<Integer> stopIds;
    private final GenerationSettings defaults;
    private final boolean skipSpecialTokens;
    private final String name;

    private ChatModel(AutoCloseable base, List<Integer> eosTokenIds, CausalLM model, LoraAdapter adapter, HfTokenizer tokenizer,
                      PromptFormat format, GenerationSettings defaults, boolean skipSpecialTokens, String name) {
        this.base = base;
        this.model = model;
        this.adapter = adapter;
        this.served = new ServedAdapters(model);
        this.tokenizer = tokenizer;
        this.format = format;
        Set<Integer> stops = new LinkedHashSet<>(format.stopIds());
        stops.addAll(eosTokenIds);
        this.stopIds = Set.copyOf(stops);
        this.defaults = defaults;
        this.skipSpecialTokens = skipSpecialTokens;
        this.name = name;
    }

    /** Loads what {@code config} names; a JtuneException says which key is wrong. */
    public static ChatModel load(JtuneConfig config) {
        ModelArguments m = config.model();
        if (!m.adapterNameOrPath().isEmpty() && !m.loraModules().isEmpty()) {
            throw new JtuneException("adapter_name_or_path and lora_modules: jtune serves lora_modules over the bare base model; merge "
                    + m.adapterNameOrPath() + " into the base with `jtune export` and serve that, or list it in lora_modules as well");
        }
        Path modelDir = ModelLocator.fromEnvironment().locate(m.modelNameOrPath(), null, HubClient.DownloadProgress.SILENT);
        if (GgufModel.isGguf(modelDir)) return loadGguf(config, modelDir);
        HfModelDirectory base = HfModelDirectory.open(modelDir);
        try {
            HfTokenizer tokenizer = HfTokenizer.load(modelDir);
            String name = modelDir.getFileName() == null ? modelDir.toString() : modelDir.getFileName().toString();
            // quantization_bit at inference, as LLaMA-Factory allows: decoding reads a quarter of the bytes (4-bit)
            WeightQuantization quantization = base.prequantized() ? null
                    : WeightQuantization.of(m.quantizationBit(), m.quantizationType(), m.doubleQuantization());
            WeightSource weights = QuantizedWeights.over(new HfWeightSource(base), base.config(), quantization);
            return assemble(config, base, base.config(), base.generationConfig().eosTokenIds(), weights, tokenizer, modelDir, name);
        } catch (RuntimeException e) {
            base.close();
            throw e;
        }
    }

    /**
     * A GGUF model (model_name_or_path a .gguf file or a folder with one): the weights stay in their
     * stored type, the tokenizer and chat template come from its tokenizer.* keys, EOS from
     * tokenizer.ggml.eos_token_id. quantization_bit does not apply (the file's type is the storage).
     */
    private static ChatModel loadGguf(JtuneConfig config, Path path) {
        ModelArguments m = config.model();
        if (m.quantizationBit() != null) {
            throw new JtuneException("quantization_bit: " + path + " is a GGUF model, already stored in its own (possibly quantized)"
                    + " type; leave quantization_bit unset");
        }
        GgufModel gguf = GgufModel.open(path);
        try {
            Path tokenizerDir = GgufHfTokenizerFiles.folder(gguf);
            HfTokenizer tokenizer = HfTokenizer.load(tokenizerDir);
            String name = gguf.path().getFileName().toString();
            return assemble(config, gguf, gguf.config(), gguf.config().eosTokenIds(), gguf.weights(), tokenizer, gguf.path(), name);
        } catch (RuntimeException e) {
            gguf.close();
            throw e;
        }
    }

    /**
     * The model over {@code weights} with the config's adapters, as LLaMA-Factory applies them: in order,
     * each over the base with the ones before it merged; all but the last are merged into the weights
     * (widened to fp32), the last stays unmerged (same result; it can be switched off). Then the prompt
     * format and the adapters served by name (lora_modules).
     */
    private static ChatModel assemble(JtuneConfig config, AutoCloseable base, ModelConfig modelConfig, List<Integer> eosTokenIds,
                                      WeightSource weights, HfTokenizer tokenizer, Path templateDir, String name) {
        ModelArguments m = config.model();
        CausalLM model = InferenceModels.frozen(modelConfig, weights);
        LoraAdapter adapter = null;
        List<String> adapters = m.adapterNameOrPath();
        for (int i = 0; i < adapters.size(); i++) {
            Path adapterDir = Path.of(adapters.get(i));
            String adapterName = adapterDir.getFileName() == null ? adapterDir.toString() : adapterDir.getFileName().toString();
            adapter = PeftAdapters.load(model, adapterName, adapterDir);
            name += "+" + adapterName;
            if (i < adapters.size() - 1) {
                model = InferenceModels.merged(adapter, weights);
                weights = InferenceModels.source(model);
                adapter = null;
            }
        }
        InferenceModels.arrangedForDecoding(model);   // after the merges, which read the weights by rows
        PromptFormat format = promptFormat(config.data(), tokenizer, templateDir);
        ChatModel chat = new ChatModel(base, eosTokenIds, model, adapter, tokenizer, format,
                GenerationSettings.from(config.generating()), config.generating().skipSpecialTokens(), name);
        m.loraModules().forEach((adapterName, path) -> {
            try {
                chat.served.load(adapterName, Path.of(path));
            } catch (JtuneException e) {
                throw new JtuneException("lora_modules: " + e.getMessage(), e);
            }
        });
        return chat;
    }

    /**
     * The template the config names, or else the model's own chat template (LLaMA-Factory parses the
     * latter into a template of its own; vLLM renders it, as jtune does).
     */
    static PromptFormat promptFormat(DataArguments d, HfTokenizer tokenizer, Path modelDir) {
        if (d.template() != null && !d.template().isBlank()) {
            Template template = Templates.get(d.template()).withThinking(d.enableThinking(), false);
            if (d.defaultSystem() != null) template = template.withDefaultSystem(d.defaultSystem());
            if (d.toolFormat() != null) template = template.withToolFormat(ToolStyles.byName(d.toolFormat()));
            return new NamedTemplateFormat(template, ChatTokenizer.of(tokenizer, template));
        }
        ModelChatTemplate chatTemplate = ModelChatTemplate.of(tokenizer, "the chat template of " + modelDir)
                .orElseThrow(() -> new JtuneException("template: required to build chat prompts, since " + modelDir
                        + " has no chat_template (in tokenizer_config.json or chat_template.jinja); name one, e.g. qwen, "
                        + "llama3, chatml (see docs/templates.md)"));
        return new ModelTemplateFormat(chatTemplate, tokenizer, Map.of("enable_thinking", d.enableThinking()), d.defaultSystem(),
                d.toolFormat() == null ? null : ToolStyles.byName(d.toolFormat()));
    }

    public CausalLM model() { return model; }

    /** The LoRA adapter replies are generated with, or null for the base model. */
    public LoraAdapter adapter() { return adapter; }
    /** The adapters served by name over the base (lora_modules, and those loaded at run time). */
    public ServedAdapters servedAdapters() { return served; }

    public HfTokenizer tokenizer() { return tokenizer; }
    /** How conversations become prompts: the named template or the model's own chat template. */
    public PromptFormat format() { return format; }
    public GenerationSettings defaults() { return defaults; }
    public boolean skipSpecialTokens() { return skipSpecialTokens; }
    public String name() { return name; }

    /** Token ids that end a reply: EOS, the format's stop words and generation_config.json's eos_token_id. */
    public Set<Integer> stopIds() { return stopIds; }

    /** The template's stop words as text, also matched in the decoded reply (a stop word may span tokens). */
    public List<String> stopWords() { return format.stopWords(); }

    @Override
    public void close() {
        try {
            base.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing " + name + ": " + e.getMessage(), e);
        }
    }
}
