package io.jtune.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.JtuneException;
import io.jtune.data.template.Template;
import io.jtune.io.hf.HfModelWriter;
import io.jtune.tokenizer.HfTokenizer;
import io.jtune.util.AtomicFiles;
import io.jtune.util.PythonJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Copies the base model's tokenizer files into the export folder with the changes LLaMA-Factory's
 * export makes before tokenizer.save_pretrained (get_template_and_fix_tokenizer): the template's
 * first stop word becomes the EOS token for templates that replace it, the other stop words become
 * additional special tokens, a missing pad token becomes the EOS, the chat template is set from the
 * template's slots when the tokenizer has none or the template replaces it, and padding_side is left.
 */
public final class TokenizerFilesExport {
    static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    static final String SPECIAL_TOKENS_MAP = "special_tokens_map.json";
    static final String CHAT_TEMPLATE_JINJA = "chat_template.jinja";
    static final String CHAT_TEMPLATE_JSON = "chat_template.json";

    private TokenizerFilesExport() {}

    /**
     * @param template the chat template (LLaMA-Factory's {@code template} key), or null to copy the files unchanged
     * @param warn     receives one line per thing left out
     */
    public static void export(Path baseDir, Path exportDir, Template template, Consumer<String> warn) throws IOException {
        if (!Files.isRegularFile(baseDir.resolve("tokenizer.json"))) {
            warn.accept(baseDir + " has no tokenizer.json: its tokenizer files are copied unchanged, without the template's fixes");
            copyUnchanged(baseDir, exportDir);
            return;
        }
        HfTokenizer tokenizer = HfTokenizer.load(baseDir);
        ObjectNode config = readObject(baseDir.resolve(TOKENIZER_CONFIG));
        ObjectNode specialMap = Files.isRegularFile(baseDir.resolve(SPECIAL_TOKENS_MAP))
                ? readObject(baseDir.resolve(SPECIAL_TOKENS_MAP)) : null;
        String bos = tokenizer.bosTokenId().isPresent() ? tokenizer.idToToken(tokenizer.bosTokenId().getAsInt()) : null;
        String eos = tokenizer.eosTokenId().isPresent() ? tokenizer.idToToken(tokenizer.eosTokenId().getAsInt()) : null;
        String pad = tokenizer.padTokenId().isPresent() ? tokenizer.idToToken(tokenizer.padTokenId().getAsInt()) : null;
        String chatTemplate = tokenizer.chatTemplate();
        boolean replaceTemplate = false;

        if (template != null) {
            List<String> stopWords = new ArrayList<>(template.stopWords());
            if (template.replaceEos()) {
                if (stopWords.isEmpty()) throw new JtuneException("template '" + template.name() + "' replaces the EOS token but has no stop words");
                eos = requireToken(tokenizer, stopWords.remove(0), template);
            }
            if (eos == null) eos = requireToken(tokenizer, "<|endoftext|>", template);
            if (pad == null) pad = eos;
            List<String> additional = new ArrayList<>();
            for (String w : stopWords) additional.add(requireToken(tokenizer, w, template));

            setToken(config, "eos_token", eos);
            setToken(config, "pad_token", pad);
            addAdditionalSpecialTokens(config, additional);
            if (specialMap != null) {
                setToken(specialMap, "eos_token", eos);
                setToken(specialMap, "pad_token", pad);
                addAdditionalSpecialTokens(specialMap, additional);
            }
            if (JinjaChatTemplate.shouldReplace(template, chatTemplate)) {
                var jinja = JinjaChatTemplate.render(template, bos, eos);
                if (jinja.isPresent()) {
                    chatTemplate = jinja.get();
                    replaceTemplate = true;
                } else {
                    warn.accept("template '" + template.name() + "' names tokens by id, which a Jinja chat template cannot express;"
                            + " the tokenizer's chat template is kept");
                }
            }
        }
        config.put("padding_side", "left");
        if (replaceTemplate) config.put("chat_template", chatTemplate);

        Files.createDirectories(exportDir);
        for (String name : HfModelWriter.TOKENIZER_FILES) {
            Path from = baseDir.resolve(name);
            Path to = exportDir.resolve(name);
            boolean separateTemplateFile = name.equals(CHAT_TEMPLATE_JINJA) || name.equals(CHAT_TEMPLATE_JSON);
            if (name.equals(TOKENIZER_CONFIG)) {
                AtomicFiles.writeString(to, PythonJson.dumps(config, PythonJson.Options.DEFAULT.withIndent(2)) + "\n");
            } else if (name.equals(SPECIAL_TOKENS_MAP) && specialMap != null) {
                AtomicFiles.writeString(to, PythonJson.dumps(specialMap, PythonJson.Options.DEFAULT.withIndent(2)) + "\n");
            } else if (separateTemplateFile && replaceTemplate) {
                // transformers prefers these files over tokenizer_config.json's chat_template: drop stale ones
                Files.deleteIfExists(to);
            } else if (Files.isRegularFile(from) && !(Files.exists(to) && Files.isSameFile(from, to))) {
                AtomicFiles.write(to, out -> Files.copy(from, out));
            }
        }
    }

    private static void copyUnchanged(Path baseDir, Path exportDir) throws IOException {
        Files.createDirectories(exportDir);
        for (String name : HfModelWriter.TOKENIZER_FILES) {
            Path from = baseDir.resolve(name);
            Path to = exportDir.resolve(name);
            if (Files.isRegularFile(from) && !(Files.exists(to) && Files.isSameFile(from, to))) {
                AtomicFiles.write(to, out -> Files.copy(from, out));
            }
        }
    }

    private static String requireToken(HfTokenizer tokenizer, String token, Template template) {
        if (tokenizer.tokenToId(token).isEmpty()) {
            throw new JtuneException("template '" + template.name() + "': its token '" + token + "' is not in the tokenizer's vocabulary;"
                    + " jtune does not add tokens (LLaMA-Factory would need resize_vocab), so choose the template the model was trained with");
        }
        return token;
    }

    /** Sets a special token, keeping the AddedToken-dict form when the file uses it. */
    private static void setToken(ObjectNode node, String key, String token) {
        if (token == null) return;
        JsonNode old = node.get(key);
        if (old != null && old.isObject()) {
            ((ObjectNode) old).put("content", token);
        } else {
            node.put(key, token);
        }
    }

    private static void addAdditionalSpecialTokens(ObjectNode node, List<String> tokens) {
        if (tokens.isEmpty()) return;
        JsonNode existing = node.get("additional_special_tokens");
        ArrayNode list = existing != null && existing.isArray() ? (ArrayNode) existing : node.putArray("additional_special_tokens");
        for (String t : tokens) {
            boolean present = false;
            for (JsonNode e : list) present |= t.equals(e.isObject() ? e.path("content").asText() : e.asText());
            if (!present) list.add(t);
        }
    }

    private static ObjectNode readObject(Path file) {
        if (!Files.isRegularFile(file)) return new ObjectMapper().createObjectNode();
        try {
            JsonNode n = new ObjectMapper().readTree(file.toFile());
            if (!(n instanceof ObjectNode o)) throw new JtuneException(file + ": expected a JSON object");
            return o;
        } catch (IOException e) {
            throw new JtuneException(file + ": not valid JSON: " + e.getMessage());
        }
    }
}
