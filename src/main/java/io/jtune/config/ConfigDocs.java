package io.jtune.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders the key definitions for people and programs: docs/config.md, the key tables in
 * {@code --help}, and a JSON description of the forms for the web UI. All three come from
 * {@link ConfigKeys}, so they cannot disagree with the parser.
 */
public final class ConfigDocs {
    /** Where the generated reference lives in the repository. */
    public static final Path DOCS_FILE = Path.of("docs", "config.md");

    private ConfigDocs() {}

    /** Regenerates docs/config.md (or the file named by the first argument). */
    public static void main(String[] args) throws IOException {
        Path target = args.length > 0 ? Path.of(args[0]) : DOCS_FILE;
        AtomicFiles.writeString(target, markdown());
        System.out.println("wrote " + target);
    }

    /** The whole of docs/config.md. */
    public static String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("""
                # Configuration reference

                <!-- Generated from io.jtune.config.ConfigKeys by `jtune config docs --output docs/config.md`.
                     Do not edit by hand: ConfigDocsTest fails when this file is stale. -->

                jtune reads LLaMA-Factory's YAML (or JSON) configs with the same keys, defaults and meanings:
                `jtune train CONFIG.yaml [key=value ...]`. Overrides after the file are read as YAML scalars
                (`learning_rate=1e-4`, `lora_target=q_proj,v_proj`, `max_samples=null`).
                `jtune config check CONFIG.yaml [key=value ...]` validates a config and prints the resolved values.

                Every key has one of three support levels:

                - **supported**: jtune does what the key asks, with LLaMA-Factory's meaning.
                - **ignored (warning)**: accepted with a warning when set to a non-default value, because ignoring it
                  cannot change the trained weights or the metrics (distributed launch settings, data-loader
                  workers, kernels that compute the same numbers, reporters other than TensorBoard, options of
                  features that are themselves refused). The reason is given per key.
                - **not supported yet**: setting the key to anything but its default is an error that names the key
                  and the reason. Some keys are supported for some values only (e.g. `stage`: pt and sft).

                A misspelt key is an error that suggests the closest known key. A value of the wrong type or out of
                range is an error that names the key and what is allowed. transformers' old name `evaluation_strategy` is
                read as `eval_strategy`, with a warning.

                Derived defaults applied as in LLaMA-Factory and transformers: `lora_alpha` = 2 x `lora_rank`;
                `packing` on for stage pt (and whenever `neat_packing`); `do_eval` when `eval_strategy` is not `no`;
                `eval_steps` = `logging_steps`; `data_seed` = `seed`; `output_dir` is required when `do_train`;
                warmup steps = `warmup_steps` when >= 1, ceil(total steps x `warmup_steps`) when it is a fraction in (0, 1),
                else ceil(total steps x `warmup_ratio`); activations are recomputed in backward (gradient checkpointing)
                unless `disable_gradient_checkpointing`, as LLaMA-Factory does.

                From Java, the same checks and typed groups:

                ```java
                JtuneConfig config = ConfigLoader.load(Path.of("qwen_lora_sft.yaml"), List.of("learning_rate=1e-4"));
                config.warnings().forEach(System.err::println);      // ignored keys, with the reason
                double lr = config.training().learningRate();        // TrainingArguments, FinetuningArguments, ...
                int alpha = config.finetuning().loraAlpha();         // derived: 2 x lora_rank when unset
                // or without a file: ConfigLoader.fromMap("my-app", Map.of("model_name_or_path", "models/qwen"), List.of())
                ```

                """);
        for (Group g : Group.values()) {
            List<ConfigKey> keys = ConfigKeys.of(g);
            md.append("## ").append(g.id()).append("\n\n").append(g.title()).append(".\n\n");
            md.append("| key | type | default | meaning | LLaMA-Factory | jtune |\n");
            md.append("|---|---|---|---|---|---|\n");
            for (ConfigKey k : keys) {
                md.append("| `").append(k.name()).append("` | ").append(k.type().label())
                        .append(" | `").append(k.defaultText()).append("` | ")
                        .append(cell(meaning(k))).append(" | ").append(k.inLlamaFactory() ? "yes" : "no")
                        .append(" | ").append(cell(k.supportText())).append(" |\n");
            }
            md.append('\n');
        }
        md.append("## environment variables\n\n")
                .append("Variables LLaMA-Factory reads; jtune's config loader reads none of them, and this says what becomes of each.\n\n")
                .append("| variable | LLaMA-Factory default | meaning | jtune |\n|---|---|---|---|\n");
        for (EnvironmentVariables.EnvVar v : EnvironmentVariables.ALL) {
            md.append("| `").append(v.name()).append("` | ").append(v.defaultValue().isEmpty() ? "unset" : "`" + v.defaultValue() + "`")
                    .append(" | ").append(cell(v.meaning())).append(" | ").append(cell(v.jtune())).append(" |\n");
        }
        return md.toString();
    }

    private static String meaning(ConfigKey k) {
        if (k.type() == KeyType.CHOICE || (k.type() == KeyType.LIST && !k.choices().isEmpty())) {
            return k.help() + " Choices: " + String.join(", ", k.choices()) + ".";
        }
        return k.help();
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }

    /**
     * A plain-text list of the given groups' keys for a command's usage footer: per key a line with
     * name, type and default, then the meaning indented and wrapped to 78 columns (picocli's usage
     * width is 80, so it never rewraps it). Keys jtune does not support yet are left out unless
     * {@code includeUnsupported}.
     */
    public static String helpTable(boolean includeUnsupported, Group... groups) {
        StringBuilder sb = new StringBuilder();
        for (Group g : groups) {
            sb.append(g.title()).append(":\n");
            for (ConfigKey k : ConfigKeys.of(g)) {
                if (!includeUnsupported && k.support() != Support.SUPPORTED) {
                    continue;
                }
                sb.append("  ").append(k.name()).append(" (").append(k.type().label())
                        .append(", default ").append(k.defaultText()).append(")");
                if (k.support() != Support.SUPPORTED) {
                    sb.append(" [").append(k.support().label()).append("]");
                }
                sb.append('\n');
                wrap(sb, k.help(), "      ", 78);
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static void wrap(StringBuilder sb, String text, String indent, int width) {
        StringBuilder line = new StringBuilder(indent);
        for (String word : text.split(" ")) {
            if (line.length() > indent.length() && line.length() + 1 + word.length() > width) {
                sb.append(line).append('\n');
                line = new StringBuilder(indent);
            }
            if (line.length() > indent.length()) {
                line.append(' ');
            }
            line.append(word);
        }
        sb.append(line).append('\n');
    }

    /** A JSON description of every key, grouped, for building forms (the web UI). */
    public static String formsJson() {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.put("format", "jtune-config-forms/1");
        ArrayNode groups = root.putArray("groups");
        for (Group g : Group.values()) {
            ObjectNode group = groups.addObject();
            group.put("id", g.id());
            group.put("title", g.title());
            ArrayNode keys = group.putArray("keys");
            for (ConfigKey k : ConfigKeys.of(g)) {
                ObjectNode key = keys.addObject();
                key.put("name", k.name());
                key.put("type", k.type().name().toLowerCase(java.util.Locale.ROOT));
                key.set("default", json.valueToTree(k.defaultValue()));
                key.put("help", k.help());
                key.put("support", k.support().name().toLowerCase(java.util.Locale.ROOT));
                if (k.reason() != null) {
                    key.put("reason", k.reason());
                }
                key.put("in_llamafactory", k.inLlamaFactory());
                if (!k.choices().isEmpty()) {
                    key.set("choices", json.valueToTree(k.choices()));
                    key.set("supported_choices", json.valueToTree(k.supportedChoices()));
                }
                if (k.min() != null) {
                    key.put(k.minExclusive() ? "exclusive_min" : "min", k.min());
                }
                if (k.max() != null) {
                    key.put("max", k.max());
                }
            }
        }
        try {
            return json.writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e); // a tree of plain values always serialises
        }
    }
}
