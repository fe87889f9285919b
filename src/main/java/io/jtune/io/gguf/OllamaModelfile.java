package io.jtune.io.gguf;

import io.jtune.JtuneException;
import io.jtune.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The Ollama Modelfile written next to an exported GGUF, in the form LLaMA-Factory's
 * Template.get_ollama_modelfile produces: FROM, a Go-template TEMPLATE over .System and
 * .Messages (.Role, .Content) built from the chat template's slots, SYSTEM when the template has a
 * default system prompt, one PARAMETER stop per stop token, and PARAMETER num_ctx: the model's context
 * (max_position_embeddings) where the export knows it, else LLaMA-Factory's 4096.
 */
public final class OllamaModelfile {
    private OllamaModelfile() {}

    /** A piece of a chat template: literal text (may hold "{{content}}") or the BOS/EOS token. */
    public record Slot(String text, Special special) {
        public enum Special { BOS, EOS }

        static Slot text(String s) { return new Slot(s, null); }
        static final Slot BOS = new Slot(null, Special.BOS);
        static final Slot EOS = new Slot(null, Special.EOS);
    }

    /**
     * A chat template as LLaMA-Factory registers it (data/template.py).
     *
     * @param replaceEos the first stop word replaces the tokenizer's EOS token
     */
    public record ChatFormat(String name, List<Slot> prefix, List<Slot> system, List<Slot> user, List<Slot> assistant,
                             String defaultSystem, List<String> stopWords, boolean replaceEos) {}

    /**
     * The tokenizer's special tokens as the export sees them.
     *
     * @param bosToken null when the tokenizer has none
     * @param eosToken null when the tokenizer has none
     * @param ids      token string to id, for at least the EOS token and the stop words
     */
    public record SpecialTokens(String bosToken, String eosToken, Map<String, Integer> ids) {}

    private static final List<Slot> CONTENT_EOS = List.of(Slot.text("{{content}}"), Slot.EOS);
    private static final String IM_USER = "<|im_start|>user\n{{content}}<|im_end|>\n<|im_start|>assistant\n";
    private static final String IM_ASSISTANT = "{{content}}<|im_end|>\n";
    private static final String IM_SYSTEM = "<|im_start|>system\n{{content}}<|im_end|>\n";
    private static final String GEMMA_USER = "<start_of_turn>user\n{{content}}<end_of_turn>\n<start_of_turn>model\n";
    private static final String GEMMA_ASSISTANT = "{{content}}<end_of_turn>\n";
    private static final String GEMMA_SYSTEM = "{{content}}\n\n";

    /** The chat templates a Modelfile can be written for (LLaMA-Factory's slots for them). */
    public static ChatFormat format(String template) {
        return switch (template) {
            case "default" -> new ChatFormat("default", List.of(),
                    List.of(Slot.text("System: {{content}}"), Slot.EOS, Slot.text("\n")),
                    List.of(Slot.text("Human: {{content}}"), Slot.EOS, Slot.text("\nAssistant:")),
                    List.of(Slot.text("{{content}}"), Slot.EOS, Slot.text("\n")), "", List.of(), false);
            // LLaMA-Factory's falcon: the default system format ({{content}}), efficient_eos (no EOS after a turn)
            case "falcon" -> new ChatFormat("falcon", List.of(), List.of(Slot.text("{{content}}")),
                    List.of(Slot.text("User: {{content}}\nFalcon:")), List.of(Slot.text("{{content}}\n")), "", List.of(), false);
            case "qwen" -> new ChatFormat("qwen", List.of(), List.of(Slot.text(IM_SYSTEM)), List.of(Slot.text(IM_USER)),
                    List.of(Slot.text(IM_ASSISTANT)), "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
                    List.of("<|im_end|>"), true);
            case "qwen3" -> new ChatFormat("qwen3", List.of(), List.of(Slot.text(IM_SYSTEM)), List.of(Slot.text(IM_USER)),
                    List.of(Slot.text(IM_ASSISTANT)), "", List.of("<|im_end|>"), true);
            case "chatml" -> new ChatFormat("chatml", List.of(), List.of(Slot.text(IM_SYSTEM)), List.of(Slot.text(IM_USER)),
                    List.of(Slot.text(IM_ASSISTANT)), "", List.of("<|im_end|>", "<|im_start|>"), true);
            case "llama3" -> new ChatFormat("llama3", List.of(Slot.BOS),
                    List.of(Slot.text("<|start_header_id|>system<|end_header_id|>\n\n{{content}}<|eot_id|>")),
                    List.of(Slot.text("<|start_header_id|>user<|end_header_id|>\n\n{{content}}<|eot_id|>"
                            + "<|start_header_id|>assistant<|end_header_id|>\n\n")),
                    List.of(Slot.text("{{content}}<|eot_id|>")), "", List.of("<|eot_id|>", "<|eom_id|>"), true);
            case "llama2" -> new ChatFormat("llama2", List.of(), List.of(Slot.text("<<SYS>>\n{{content}}\n<</SYS>>\n\n")),
                    List.of(Slot.BOS, Slot.text("[INST] {{content}} [/INST]")), CONTENT_EOS, "", List.of(), false);
            case "mistral" -> new ChatFormat("mistral", List.of(Slot.BOS), List.of(Slot.text("{{content}}\n\n")),
                    List.of(Slot.text("[INST] {{content}}[/INST]")), List.of(Slot.text(" {{content}}"), Slot.EOS), "", List.of(), false);
            // gemma and gemma3 replace the EOS with <end_of_turn>; gemma2 keeps <eos> and stops at both.
            case "gemma", "gemma3" -> new ChatFormat(template, List.of(Slot.BOS), List.of(Slot.text(GEMMA_SYSTEM)),
                    List.of(Slot.text(GEMMA_USER)), List.of(Slot.text(GEMMA_ASSISTANT)), "", List.of("<end_of_turn>"), true);
            case "gemma2" -> new ChatFormat("gemma2", List.of(Slot.BOS), List.of(Slot.text(GEMMA_SYSTEM)),
                    List.of(Slot.text(GEMMA_USER)), List.of(Slot.text(GEMMA_ASSISTANT)), "", List.of("<eos>", "<end_of_turn>"), false);
            // The Phi templates replace the EOS with their end-of-turn token.
            case "phi" -> new ChatFormat("phi", List.of(), List.of(Slot.text("<|system|>\n{{content}}<|end|>\n")),
                    List.of(Slot.text("<|user|>\n{{content}}<|end|>\n<|assistant|>\n")), List.of(Slot.text("{{content}}<|end|>\n")),
                    "", List.of("<|end|>"), true);
            case "phi4" -> new ChatFormat("phi4", List.of(), List.of(Slot.text("<|im_start|>system<|im_sep|>{{content}}<|im_end|>")),
                    List.of(Slot.text("<|im_start|>user<|im_sep|>{{content}}<|im_end|><|im_start|>assistant<|im_sep|>")),
                    List.of(Slot.text("{{content}}<|im_end|>")), "", List.of("<|im_end|>"), true);
            case "phi4_mini" -> new ChatFormat("phi4_mini", List.of(), List.of(Slot.text("<|system|>{{content}}<|end|>")),
                    List.of(Slot.text("<|user|>{{content}}<|end|><|assistant|>")), List.of(Slot.text("{{content}}<|end|>")),
                    "", List.of("<|end|>"), true);
            case "glm4" -> new ChatFormat("glm4", List.of(Slot.text("[gMASK]<sop>")), List.of(Slot.text("<|system|>\n{{content}}")),
                    List.of(Slot.text("<|user|>\n{{content}}<|assistant|>")), List.of(Slot.text("\n{{content}}")), "",
                    List.of("<|user|>", "<|observation|>"), false);
            // chatglm3's markers are token slots, which a Modelfile's text template cannot hold (LLaMA-Factory refuses too).
            case "chatglm3" -> throw new JtuneException("template 'chatglm3' writes its turn markers as token ids, which an Ollama "
                    + "Modelfile cannot express (LLaMA-Factory refuses it too)");
            default -> throw new JtuneException("no Ollama Modelfile template for template '" + template
                    + "' yet; available: default, falcon, qwen, qwen3, chatml, llama3, llama2, mistral, gemma, gemma2, gemma3, "
                    + "phi, phi4, phi4_mini, glm4");
        };
    }

    /** Writes the Modelfile for {@code ggufFileName} (a file in the same directory) atomically. */
    public static void write(Path modelfile, String ggufFileName, String template, SpecialTokens tokens) throws IOException {
        AtomicFiles.writeString(modelfile, render(ggufFileName, format(template), tokens));
    }

    public static String render(String ggufFileName, ChatFormat f, SpecialTokens tokens) {
        return render(ggufFileName, f, tokens, DEFAULT_NUM_CTX);
    }

    /** LLaMA-Factory's fixed num_ctx, for a model whose context is not known. */
    public static final int DEFAULT_NUM_CTX = 4096;

    /** As {@link #render(String, ChatFormat, SpecialTokens)}, with num_ctx the model's context length. */
    public static String render(String ggufFileName, ChatFormat f, SpecialTokens tokens, int numCtx) {
        return render(ggufFileName, null, f, tokens, numCtx);
    }

    /**
     * As {@link #render(String, ChatFormat, SpecialTokens, int)}, plus {@code ADAPTER ./ADAPTER} after
     * FROM when {@code adapterFileName} is not null: a GGUF LoRA adapter (in the same directory) that
     * Ollama applies to the base at run time.
     */
    public static String render(String ggufFileName, String adapterFileName, ChatFormat f, SpecialTokens tokens, int numCtx) {
        if (numCtx < 1) throw new IllegalArgumentException("num_ctx must be positive, got " + numCtx);
        String eos = f.replaceEos() ? f.stopWords().get(0) : tokens.eosToken();
        StringBuilder sb = new StringBuilder("# ollama modelfile auto-generated by jtune\n\n");
        // a file beside the Modelfile is named relatively; a GGUF base elsewhere (export_gguf_adapter over a GGUF) by its path
        sb.append("FROM ").append(Path.of(ggufFileName).isAbsolute() ? ggufFileName : "./" + ggufFileName).append("\n");
        if (adapterFileName != null) sb.append("ADAPTER ./").append(adapterFileName).append("\n");
        sb.append("\n");
        sb.append("TEMPLATE \"\"\"").append(goTemplate(f, tokens.bosToken(), eos)).append("\"\"\"\n\n");
        if (!f.defaultSystem().isEmpty()) sb.append("SYSTEM \"\"\"").append(f.defaultSystem()).append("\"\"\"\n\n");
        for (String stop : stopTokens(f, eos, tokens)) sb.append("PARAMETER stop \"").append(stop).append("\"\n");
        sb.append("PARAMETER num_ctx ").append(numCtx).append("\n");
        return sb.toString();
    }

    private static String goTemplate(ChatFormat f, String bos, String eos) {
        return slots(f.prefix(), "content", bos, eos)
                + "{{ if .System }}" + slots(f.system(), ".System", bos, eos) + "{{ end }}"
                + "{{ range .Messages }}{{ if eq .Role \"user\" }}" + slots(f.user(), ".Content", bos, eos)
                + "{{ else if eq .Role \"assistant\" }}" + slots(f.assistant(), ".Content", bos, eos) + "{{ end }}{{ end }}";
    }

    /** LLaMA-Factory's _convert_slots_to_ollama: "{{content}}" becomes "{{ placeholder }}", BOS/EOS their token text. */
    private static String slots(List<Slot> slots, String placeholder, String bos, String eos) {
        StringBuilder sb = new StringBuilder();
        for (Slot s : slots) {
            if (s.special() == Slot.Special.BOS) {
                if (bos != null) sb.append(bos);
            } else if (s.special() == Slot.Special.EOS) {
                if (eos != null) sb.append(eos);
            } else {
                int at = s.text().indexOf("{{content}}");
                if (at < 0) {
                    sb.append(s.text());
                } else {
                    sb.append(s.text(), 0, at).append("{{ ").append(placeholder).append(" }}")
                            .append(s.text().substring(at + "{{content}}".length()));
                }
            }
        }
        return sb.toString();
    }

    /**
     * The EOS token plus the stop words, in the order LLaMA-Factory's get_stop_token_ids yields
     * them: a Python set of token ids, iterated in hash-table slot order.
     */
    static List<String> stopTokens(ChatFormat f, String eos, SpecialTokens tokens) {
        Set<String> stops = new LinkedHashSet<>();
        if (eos != null) stops.add(eos);
        stops.addAll(f.stopWords());
        if (stops.isEmpty()) throw new JtuneException("template '" + f.name() + "' has no stop token and the tokenizer has no EOS token");
        List<Integer> ids = new ArrayList<>();
        Map<Integer, String> byId = new TreeMap<>();
        for (String s : stops) {
            Integer id = tokens.ids().get(s);
            if (id == null) throw new JtuneException("stop word '" + s + "' of template '" + f.name() + "' is not a token of the tokenizer");
            ids.add(id);
            byId.put(id, s);
        }
        List<String> ordered = new ArrayList<>();
        for (int id : PythonSetOrder.of(ids)) ordered.add(byId.get(id));
        return ordered;
    }

    /** Iteration order of a small CPython set of non-negative ints (hash(i) == i), built by adding in order. */
    static final class PythonSetOrder {
        private PythonSetOrder() {}

        static List<Integer> of(List<Integer> values) {
            Set<Integer> distinct = new LinkedHashSet<>(values);
            if (distinct.size() > 4) return new ArrayList<>(new java.util.TreeSet<>(distinct)); // CPython would resize the table
            long[] table = new long[8];
            boolean[] used = new boolean[8];
            for (int v : distinct) {
                long perturb = v;
                int i = v & 7;
                while (used[i]) { // CPython's set_add_entry with mask 7: no linear probes, perturbed re-probing
                    perturb >>>= 5;
                    i = (int) ((i * 5L + 1 + perturb) & 7);
                }
                used[i] = true;
                table[i] = v;
            }
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < 8; i++) if (used[i]) out.add((int) table[i]);
            return out;
        }
    }
}
