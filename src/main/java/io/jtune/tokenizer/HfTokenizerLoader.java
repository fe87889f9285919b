package io.jtune.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.JtuneException;
import io.jtune.tokenizer.model.BpeModel;
import io.jtune.tokenizer.sentencepiece.SentencePieceProcessor;
import io.jtune.tokenizer.sentencepiece.SentencePieceTokenModel;
import io.jtune.tokenizer.text.Decoder;
import io.jtune.tokenizer.text.PostProcessor;
import io.jtune.tokenizer.text.PreTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads a tokenizer from Hugging Face's files: tokenizer.json (the pipeline), tokenizer_config.json
 * (bos/eos/pad, add_bos_token/add_eos_token, chat template, extra added tokens),
 * special_tokens_map.json (bos/eos/pad when the config lacks them) and chat_template.jinja; or, in a
 * folder without tokenizer.json, a sentencepiece tokenizer.model with the same configs.
 */
final class HfTokenizerLoader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HfTokenizerLoader() {}

    static HfTokenizer.Parts fromModelDir(Path dir) {
        Path tokenizerFile = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerFile) && Files.isRegularFile(dir.resolve(SENTENCEPIECE_FILE))) return fromSentencePiece(dir);
        if (!Files.isRegularFile(tokenizerFile)) {
            throw new JtuneException(tokenizerFile + " not found: jtune reads Hugging Face's tokenizer.json, or a sentencepiece "
                    + SENTENCEPIECE_FILE + " where a folder has no tokenizer.json");
        }
        TokenizerJsonReader.Contents contents = TokenizerJsonReader.read(tokenizerFile);
        JsonSpot root = JsonSpot.root(tokenizerFile, contents.root());
        JsonSpot config = optionalJson(dir.resolve("tokenizer_config.json"));
        JsonSpot specialMap = optionalJson(dir.resolve("special_tokens_map.json"));

        BpeModel model = bpeModel(root.get("model"), contents.vocab(), contents.merges());
        Map<String, AddedToken> added = addedTokens(root.get("added_tokens"), config.get("added_tokens_decoder"));
        Function<String, Integer> idOf = token -> {
            AddedToken t = added.get(token);
            return t != null ? Integer.valueOf(t.id()) : model.tokenToId(token);
        };
        Integer bos = specialTokenId("bos_token", config, specialMap, idOf);
        Integer eos = specialTokenId("eos_token", config, specialMap, idOf);
        Integer pad = specialTokenId("pad_token", config, specialMap, idOf);

        return new HfTokenizer.Parts(
                ComponentReader.normalizer(root.get("normalizer")),
                ComponentReader.preTokenizer(root.get("pre_tokenizer")),
                model,
                postProcessor(root.get("post_processor"), config, bos, eos),
                ComponentReader.decoder(root.get("decoder")),
                added.values(), bos, eos, pad,
                chatTemplate(dir, config),
                config.get("clean_up_tokenization_spaces").bool(false));
    }

    /** A sentencepiece model, the tokenizer of folders without tokenizer.json (ChatGLM3, older Llama). */
    static final String SENTENCEPIECE_FILE = "tokenizer.model";

    /**
     * A folder's sentencepiece tokenizer.model with its tokenizer_config.json: the model's pieces keep
     * their ids; added tokens come from added_tokens_decoder and, for ChatGLM3's ChatGLMTokenizer, its
     * own special tokens after the pieces ({@link ChatGlmSpecialTokens}); bos/eos/pad/unk named in the
     * config are matched in text as special tokens, as transformers' slow tokenizers match them.
     */
    private static HfTokenizer.Parts fromSentencePiece(Path dir) {
        Path modelFile = dir.resolve(SENTENCEPIECE_FILE);
        SentencePieceTokenModel model = new SentencePieceTokenModel(SentencePieceProcessor.load(modelFile));
        JsonSpot config = optionalJson(dir.resolve("tokenizer_config.json"));
        JsonSpot specialMap = optionalJson(dir.resolve("special_tokens_map.json"));
        String tokenizerClass = tokenizerClass(config);
        Map<String, AddedToken> added = new LinkedHashMap<>();
        boolean chatGlm = ChatGlmSpecialTokens.TOKENIZER_CLASS.equals(tokenizerClass);
        if (chatGlm) {
            for (AddedToken t : ChatGlmSpecialTokens.after(model.size())) added.put(t.content(), t);
        }
        addedTokens(JsonSpot.root(modelFile, null), config.get("added_tokens_decoder")).forEach(added::putIfAbsent);
        for (String key : List.of("bos_token", "eos_token", "unk_token", "pad_token")) {
            JsonSpot spot = config.get(key).node() == null ? specialMap.get(key) : config.get(key);
            if (spot.isMissing()) continue;
            String content = spot.node().isObject() ? spot.get("content").text() : spot.text();
            Integer id = model.tokenToId(content);
            if (id != null) added.putIfAbsent(content, new AddedToken(id, content, false, false, false, false, true));
        }
        Function<String, Integer> idOf = token -> {
            AddedToken t = added.get(token);
            return t != null ? Integer.valueOf(t.id()) : model.tokenToId(token);
        };
        Integer bos = specialTokenId("bos_token", config, specialMap, idOf);
        Integer eos = specialTokenId("eos_token", config, specialMap, idOf);
        Integer pad = specialTokenId("pad_token", config, specialMap, idOf);
        PostProcessor post = chatGlm
                ? ChatGlmSpecialTokens.prefixProcessor(idOf)
                : postProcessor(JsonSpot.root(modelFile, null), config, bos, eos);
        return new HfTokenizer.Parts(model.normalizer(), null, model, post, model.decoder(), added.values(), bos, eos, pad,
                chatTemplate(dir, config), config.get("clean_up_tokenization_spaces").bool(false));
    }

    private static String tokenizerClass(JsonSpot config) {
        JsonSpot spot = config.get("tokenizer_class");
        return spot.isMissing() || !spot.node().isTextual() ? "" : spot.text().replaceFirst("Fast$", "");
    }

    /** tokenizer.json's added_tokens, plus those of the config's added_tokens_decoder it lacks (as transformers does). */
    private static Map<String, AddedToken> addedTokens(JsonSpot addedList, JsonSpot decoderMap) {
        Map<String, AddedToken> added = new LinkedHashMap<>();
        if (!addedList.isMissing()) {
            for (int i = 0; i < addedList.size(); i++) {
                AddedToken t = addedToken(addedList.get(i), null);
                added.put(t.content(), t);
            }
        }
        if (!decoderMap.isMissing()) {
            for (Iterator<String> it = decoderMap.node().fieldNames(); it.hasNext(); ) {
                String idText = it.next();
                JsonSpot entry = decoderMap.get(idText);
                int id;
                try {
                    id = Integer.parseInt(idText);
                } catch (NumberFormatException e) {
                    throw entry.error("the key must be a token id");
                }
                AddedToken t = addedToken(entry, id);
                added.putIfAbsent(t.content(), t);
            }
        }
        return added;
    }

    /**
     * tokenizer.json's post-processor, unless transformers rebuilds it: its Llama, CodeLlama and
     * Gemma fast tokenizers (and any tokenizer whose config sets add_bos_token / add_eos_token)
     * make encode(add_special_tokens=True) add {@code [bos] $A [eos]} as those flags say; for the
     * Llama-like classes add_bos_token defaults to true and add_eos_token to false.
     */
    private static PostProcessor postProcessor(JsonSpot spot, JsonSpot config, Integer bos, Integer eos) {
        PostProcessor fromFile = ComponentReader.postProcessor(spot);
        JsonSpot addBosSpot = config.get("add_bos_token"), addEosSpot = config.get("add_eos_token");
        String tokenizerClass = tokenizerClass(config);
        boolean llamaLike = LLAMA_LIKE_CLASSES.contains(tokenizerClass);
        if (addBosSpot.isMissing() && addEosSpot.isMissing() && !llamaLike) return fromFile;
        boolean addBos = addBosSpot.bool(llamaLike), addEos = addEosSpot.bool(false);
        if (addBos && bos == null) throw addBosSpot.error("add_bos_token is true (" + (addBosSpot.isMissing()
                ? "the default for " + tokenizerClass : "set here") + ") but the tokenizer has no bos_token");
        if (addEos && eos == null) throw addEosSpot.error("add_eos_token is true but the tokenizer has no eos_token");
        List<PostProcessor.Piece> pieces = new ArrayList<>();
        if (addBos) pieces.add(new PostProcessor.Piece(new int[] {bos}));
        pieces.add(PostProcessor.Piece.sequence());
        if (addEos) pieces.add(new PostProcessor.Piece(new int[] {eos}));
        return new PostProcessor.Template(pieces);
    }

    /** transformers' tokenizer classes that rebuild the post-processor from add_bos_token / add_eos_token. */
    private static final java.util.Set<String> LLAMA_LIKE_CLASSES = java.util.Set.of("LlamaTokenizer", "CodeLlamaTokenizer", "GemmaTokenizer");

    static HfTokenizer.Parts fromGpt2Files(Path encoderJson, Path vocabBpe) {
        JsonSpot encoder = JsonSpot.root(encoderJson, readJson(encoderJson));
        if (!encoder.node().isObject()) throw encoder.error("expected an object of token -> id");
        Map<String, Integer> vocab = new HashMap<>();
        encoder.node().fields().forEachRemaining(e -> vocab.put(e.getKey(), encoder.get(e.getKey()).integer(-1)));
        List<BpeModel.Merge> merges = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(vocabBpe, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new JtuneException("cannot read " + vocabBpe + ": " + e.getMessage(), e);
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() || (i == 0 && line.startsWith("#version"))) continue;
            String[] parts = line.split(" ");
            if (parts.length != 2) throw new JtuneException(vocabBpe + " line " + (i + 1) + ": expected two symbols separated by one space");
            merges.add(new BpeModel.Merge(parts[0], parts[1]));
        }
        BpeModel model = new BpeModel(vocab, merges, BpeModel.Options.plain(), (rank, merge) -> {
            throw new JtuneException(vocabBpe + " merge " + (rank + 1) + " '" + merge + "' uses a symbol missing from " + encoderJson);
        });
        // GPT-2 as HF ships it: byte-level split with GPT-2's regex, no prefix space; <|endoftext|> special.
        List<AddedToken> added = new ArrayList<>();
        Integer endOfText = vocab.get("<|endoftext|>");
        if (endOfText != null) added.add(new AddedToken(endOfText, "<|endoftext|>", false, false, false, false, true));
        return new HfTokenizer.Parts(null, new PreTokenizer.ByteLevel(false, true), model, new PostProcessor.Identity(),
                new Decoder.ByteLevel(), added, endOfText, endOfText, null, null, false);
    }

    private static BpeModel bpeModel(JsonSpot spot, Map<String, Integer> vocab, List<BpeModel.Merge> merges) {
        if (spot.isMissing()) throw spot.error("missing: the tokenizer has no model");
        String type = spot.get("type").textOr(merges == null ? "?" : "BPE");
        if (!type.equals("BPE")) throw spot.get("type").unsupported("model", type, "BPE");
        JsonSpot dropout = spot.get("dropout");
        if (!dropout.isMissing() && dropout.node().asDouble() > 0) throw dropout.error("BPE dropout is not supported (set it to null)");
        if (vocab == null) throw spot.get("vocab").error("expected an object of token -> id");
        if (merges == null) throw spot.get("merges").error("expected a list of merges");
        JsonSpot mergesSpot = spot.get("merges");
        BpeModel.Options options = new BpeModel.Options(
                spot.get("unk_token").textOr(null),
                spot.get("fuse_unk").bool(false),
                spot.get("byte_fallback").bool(false),
                spot.get("ignore_merges").bool(false),
                spot.get("continuing_subword_prefix").textOr(""),
                spot.get("end_of_word_suffix").textOr(""));
        return new BpeModel(vocab, merges, options, (rank, merge) -> {
            throw new JsonSpot(mergesSpot.file(), mergesSpot.path() + "[" + rank + "]", null).error("merge '" + merge + "' uses a token that is not in the vocabulary");
        });
    }

    private static AddedToken addedToken(JsonSpot spot, Integer knownId) {
        int id = knownId != null ? knownId : spot.get("id").integer(-1);
        if (id < 0) throw spot.get("id").error("expected a non-negative token id");
        return new AddedToken(id, spot.get("content").text(), spot.get("single_word").bool(false),
                spot.get("lstrip").bool(false), spot.get("rstrip").bool(false),
                spot.get("normalized").bool(false), spot.get("special").bool(false));
    }

    /** bos_token etc. are a string or an AddedToken object ({"content": ...}); null means none. */
    private static Integer specialTokenId(String key, JsonSpot config, JsonSpot specialMap,
                                          Function<String, Integer> idOf) {
        JsonSpot spot = config.get(key);
        if (spot.node() == null) spot = specialMap.get(key);
        if (spot.isMissing()) return null;
        String content = spot.node().isObject() ? spot.get("content").text() : spot.text();
        Integer id = idOf.apply(content);
        if (id == null) throw spot.error("token '" + content + "' is neither in the vocabulary nor an added token");
        return id;
    }

    private static String chatTemplate(Path dir, JsonSpot config) {
        Path jinja = dir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            try {
                return Files.readString(jinja, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new JtuneException("cannot read " + jinja + ": " + e.getMessage(), e);
            }
        }
        JsonSpot template = config.get("chat_template");
        if (template.isMissing()) return null;
        if (template.node().isTextual()) return template.text();
        // A list of named templates: the one named "default" is the chat template.
        for (int i = 0; i < template.size(); i++) {
            if ("default".equals(template.get(i).get("name").textOr(null))) return template.get(i).get("template").text();
        }
        throw template.error("a list of named chat templates needs one named 'default'");
    }

    private static JsonSpot optionalJson(Path file) {
        return JsonSpot.root(file, Files.isRegularFile(file) ? readJson(file) : null);
    }

    private static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new JtuneException("cannot read " + file + " as JSON: " + e.getMessage(), e);
        }
    }
}
