package io.jtune.data.template;

import static io.jtune.data.template.Slot.BOS;
import static io.jtune.data.template.Slot.EOS;

import io.jtune.JtuneException;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * The registry of chat templates, by LLaMA-Factory's names. Every entry is transcribed from
 * LLaMA-Factory's register_template calls (src/llamafactory/data/template.py): the strings,
 * whitespace included, must stay identical so that prompts tokenize to the same ids. Adding a
 * template is one {@code register} call; docs/templates.md lists them.
 */
public final class Templates {
    private static final Map<String, Template> TEMPLATES = new TreeMap<>();

    private Templates() {}

    private static void register(String name, UnaryOperator<TemplateBuilder> spec) {
        if (TEMPLATES.containsKey(name)) throw new IllegalStateException("template registered twice: " + name);
        TEMPLATES.put(name, spec.apply(new TemplateBuilder(name)).build());
    }

    /** The template called {@code name}, or an error listing the known names. */
    public static Template get(String name) {
        Template t = TEMPLATES.get(name == null ? "empty" : name);
        if (t == null) {
            throw new JtuneException("Unknown template '" + name + "'. Known templates: "
                    + String.join(", ", TEMPLATES.keySet()) + " (see docs/templates.md).");
        }
        return t;
    }

    public static Map<String, Template> all() {
        return Collections.unmodifiableMap(TEMPLATES);
    }

    private static final String IM_USER = "<|im_start|>user\n{{content}}<|im_end|>\n<|im_start|>assistant\n";
    private static final String IM_ASSISTANT = "{{content}}<|im_end|>\n";
    private static final String IM_SYSTEM = "<|im_start|>system\n{{content}}<|im_end|>\n";
    private static final String QWEN_OBSERVATION =
            "<|im_start|>user\n<tool_response>\n{{content}}\n</tool_response><|im_end|>\n<|im_start|>assistant\n";
    private static final String GEMMA_USER = "<start_of_turn>user\n{{content}}<end_of_turn>\n<start_of_turn>model\n";
    private static final String GEMMA_OBSERVATION =
            "<start_of_turn>tool\n{{content}}<end_of_turn>\n<start_of_turn>model\n";

    static {
        register("alpaca", t -> t
                .user("### Instruction:\n{{content}}\n\n### Response:\n")
                .assistant("{{content}}", EOS, "\n\n")
                .defaultSystem("Below is an instruction that describes a task. "
                        + "Write a response that appropriately completes the request.\n\n"));

        // ChatGLM3: the turn markers and the prefix are tokens of their own (ids after the sentencepiece pieces).
        register("chatglm3", t -> t
                .user(Slot.token("<|user|>"), "\n{{content}}", Slot.token("<|assistant|>"))
                .assistant("\n{{content}}")
                .system(Slot.token("<|system|>"), "\n{{content}}")
                .function(ToolStyles.GLM4, "{{content}}")
                .observation(Slot.token("<|observation|>"), "\n{{content}}", Slot.token("<|assistant|>"))
                .tools(ToolStyles.GLM4)
                .prefix(Slot.token("[gMASK]"), Slot.token("sop"))
                .stopWords("<|user|>", "<|observation|>").efficientEos());

        register("chatml", t -> t
                .user(IM_USER).assistant(IM_ASSISTANT).system(IM_SYSTEM)
                .observation("<|im_start|>tool\n{{content}}<|im_end|>\n<|im_start|>assistant\n")
                .stopWords("<|im_end|>", "<|im_start|>").replaceEos());

        register("chatml_de", t -> t
                .user(IM_USER).assistant(IM_ASSISTANT).system(IM_SYSTEM)
                .observation("<|im_start|>tool\n{{content}}<|im_end|>\n<|im_start|>assistant\n")
                .defaultSystem("Du bist ein freundlicher und hilfsbereiter KI-Assistent.")
                .stopWords("<|im_end|>", "<|im_start|>").replaceEos());

        register("cohere", t -> t
                .user("<|START_OF_TURN_TOKEN|><|USER_TOKEN|>{{content}}<|END_OF_TURN_TOKEN|>"
                        + "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>")
                .system("<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>{{content}}<|END_OF_TURN_TOKEN|>")
                .prefix(BOS));

        register("deepseek", t -> t
                .user("User: {{content}}\n\nAssistant:")
                .system("{{content}}\n\n")
                .prefix(BOS));

        register("deepseek3", t -> t
                .user("<｜User｜>{{content}}<｜Assistant｜>")
                .prefix(BOS));

        register("deepseekr1", t -> t
                .user("<｜User｜>{{content}}<｜Assistant｜>")
                .prefix(BOS)
                .kind(Template.Kind.REASONING));

        register("default", t -> t
                .user("Human: {{content}}", EOS, "\nAssistant:")
                .assistant("{{content}}", EOS, "\n")
                .system("System: {{content}}", EOS, "\n"));

        register("empty", t -> t
                .assistant("{{content}}"));

        register("falcon", t -> t
                .user("User: {{content}}\nFalcon:")
                .assistant("{{content}}\n")
                .efficientEos());

        register("gemma", t -> t
                .user(GEMMA_USER).assistant("{{content}}<end_of_turn>\n").system("{{content}}\n\n")
                .observation(GEMMA_OBSERVATION)
                .prefix(BOS)
                .stopWords("<end_of_turn>").replaceEos()
                .kind(Template.Kind.LLAMA2));

        register("gemma2", t -> t
                .user(GEMMA_USER).assistant("{{content}}<end_of_turn>\n").system("{{content}}\n\n")
                .observation(GEMMA_OBSERVATION)
                .prefix(BOS)
                .stopWords("<eos>", "<end_of_turn>").efficientEos()
                .kind(Template.Kind.LLAMA2));

        register("gemma3", t -> t
                .user(GEMMA_USER).assistant("{{content}}<end_of_turn>\n").system("{{content}}\n\n")
                .observation(GEMMA_OBSERVATION)
                .prefix(BOS)
                .stopWords("<end_of_turn>").replaceEos()
                .kind(Template.Kind.LLAMA2));

        register("glm4", t -> t
                .user("<|user|>\n{{content}}<|assistant|>")
                .assistant("\n{{content}}")
                .system("<|system|>\n{{content}}")
                .function(ToolStyles.GLM4, "{{content}}")
                .observation("<|observation|>\n{{content}}<|assistant|>")
                .tools(ToolStyles.GLM4)
                .prefix("[gMASK]<sop>")
                .stopWords("<|user|>", "<|observation|>").efficientEos());

        register("granite3", t -> t
                .user("<|start_of_role|>user<|end_of_role|>{{content}}<|end_of_text|>\n"
                        + "<|start_of_role|>assistant<|end_of_role|>")
                .assistant("{{content}}<|end_of_text|>\n")
                .system("<|start_of_role|>system<|end_of_role|>{{content}}<|end_of_text|>\n"));

        register("llama2", t -> t
                .user(BOS, "[INST] {{content}} [/INST]")
                .system("<<SYS>>\n{{content}}\n<</SYS>>\n\n")
                .kind(Template.Kind.LLAMA2));

        register("llama2_zh", t -> t
                .user(BOS, "[INST] {{content}} [/INST]")
                .system("<<SYS>>\n{{content}}\n<</SYS>>\n\n")
                .defaultSystem("You are a helpful assistant. 你是一个乐于助人的助手。")
                .kind(Template.Kind.LLAMA2));

        register("llama3", t -> t
                .user("<|start_header_id|>user<|end_header_id|>\n\n{{content}}<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n")
                .assistant("{{content}}<|eot_id|>")
                .system("<|start_header_id|>system<|end_header_id|>\n\n{{content}}<|eot_id|>")
                .function(ToolStyles.LLAMA3, "{{content}}<|eot_id|>")
                .observation("<|start_header_id|>ipython<|end_header_id|>\n\n{{content}}<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n")
                .tools(ToolStyles.LLAMA3)
                .prefix(BOS)
                .stopWords("<|eot_id|>", "<|eom_id|>").replaceEos());

        register("mistral", t -> t
                .user("[INST] {{content}}[/INST]")
                .assistant(" {{content}}", EOS)
                .system("{{content}}\n\n")
                .function(ToolStyles.MISTRAL, "[TOOL_CALLS] {{content}}", EOS)
                .observation("[TOOL_RESULTS] {\"content\": {{content}}}[/TOOL_RESULTS]")
                .tools(ToolStyles.MISTRAL)
                .prefix(BOS)
                .kind(Template.Kind.LLAMA2));

        register("olmo", t -> t
                .user("<|user|>\n{{content}}<|assistant|>\n")
                .prefix(EOS));

        register("phi", t -> t
                .user("<|user|>\n{{content}}<|end|>\n<|assistant|>\n")
                .assistant("{{content}}<|end|>\n")
                .system("<|system|>\n{{content}}<|end|>\n")
                .stopWords("<|end|>").replaceEos());

        register("phi4", t -> t
                .user("<|im_start|>user<|im_sep|>{{content}}<|im_end|><|im_start|>assistant<|im_sep|>")
                .assistant("{{content}}<|im_end|>")
                .system("<|im_start|>system<|im_sep|>{{content}}<|im_end|>")
                .stopWords("<|im_end|>").replaceEos());

        register("phi4_mini", t -> t
                .user("<|user|>{{content}}<|end|><|assistant|>")
                .assistant("{{content}}<|end|>")
                .system("<|system|>{{content}}<|end|>")
                .tools(ToolStyles.PHI4_MINI)
                .stopWords("<|end|>").replaceEos());

        register("qwen", t -> t
                .user(IM_USER).assistant(IM_ASSISTANT).system(IM_SYSTEM)
                .function(ToolStyles.QWEN, IM_ASSISTANT)
                .observation(QWEN_OBSERVATION)
                .tools(ToolStyles.QWEN)
                .defaultSystem("You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")
                .stopWords("<|im_end|>").replaceEos());

        register("qwen3", t -> t
                .user(IM_USER).assistant(IM_ASSISTANT).system(IM_SYSTEM)
                .function(ToolStyles.QWEN, IM_ASSISTANT)
                .observation(QWEN_OBSERVATION)
                .tools(ToolStyles.QWEN)
                .stopWords("<|im_end|>").replaceEos()
                .kind(Template.Kind.REASONING));

        register("qwen3_nothink", t -> t
                .user(IM_USER).assistant(IM_ASSISTANT).system(IM_SYSTEM)
                .function(ToolStyles.QWEN, IM_ASSISTANT)
                .observation(QWEN_OBSERVATION)
                .tools(ToolStyles.QWEN)
                .stopWords("<|im_end|>").replaceEos());

        register("smollm", t -> t
                .user(IM_USER).assistant(IM_ASSISTANT).system(IM_SYSTEM)
                .stopWords("<|im_end|>"));

        register("smollm2", t -> t
                .user(IM_USER).assistant(IM_ASSISTANT).system(IM_SYSTEM)
                .stopWords("<|im_end|>")
                .defaultSystem("You are a helpful AI assistant named SmolLM, trained by Hugging Face."));

        register("vicuna", t -> t
                .user("USER: {{content}} ASSISTANT:")
                .defaultSystem("A chat between a curious user and an artificial intelligence assistant. "
                        + "The assistant gives helpful, detailed, and polite answers to the user's questions."));

        register("yi", t -> t
                .user(IM_USER).assistant(IM_ASSISTANT).system(IM_SYSTEM)
                .stopWords("<|im_end|>"));

        register("zephyr", t -> t
                .user("<|user|>\n{{content}}", EOS, "<|assistant|>\n")
                .system("<|system|>\n{{content}}", EOS)
                .defaultSystem("You are Zephyr, a helpful assistant."));
    }
}
