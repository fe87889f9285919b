package io.jtune.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.JtuneException;
import io.jtune.io.gguf.GgufTokenizer;
import io.jtune.tokenizer.HfTokenizer;
import io.jtune.tokenizer.sentencepiece.SentencePieceProcessor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * Builds the GGUF tokenizer keys from a model folder's tokenizer.json (+ tokenizer_config.json), as
 * llama.cpp's converter does for the two BPE kinds Llama-family checkpoints ship (and from a
 * sentencepiece tokenizer.model where the folder has no tokenizer.json, e.g. ChatGLM3):
 * <ul>
 *   <li>byte-level BPE (Qwen2/3, Llama 3): tokenizer.ggml.model "gpt2", the merges, and
 *       tokenizer.ggml.pre named from the pre-tokenizer's split regex (the converter instead hashes
 *       the tokenization of a probe text; jtune recognises the regexes those hashes stand for);</li>
 *   <li>SentencePiece-style BPE with byte fallback (Llama 2, Mistral): tokenizer.ggml.model
 *       "llama" with scores. The converter's tokenizer.json path scores every token -1000; jtune
 *       scores a token by minus the rank of the merge that creates it, which is the priority
 *       llama.cpp's SentencePiece tokenizer merges by, so it splits text as the BPE merges do.</li>
 * </ul>
 */
public final class GgufTokenizerFiles {
    /** Qwen2's split regex (also Qwen3's): digits one at a time. */
    static final String QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Llama 3's split regex: digits in groups of up to three. */
    static final String LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /**
     * The o200k split regex (Phi-4-mini's tokenizer.json): llama.cpp's pre-tokenizer "gpt-4o", which
     * the converter picks for Phi-4-mini by the tokenizer's hash.
     */
    static final String GPT4O_SPLIT = "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
            + "(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*"
            + "(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x[0-9A-Fa-f]{2}>");

    private GgufTokenizerFiles() {}

    /**
     * @param vocabSize    the model's vocab_size (embedding rows); ids without a token become unused padding
     * @param chatTemplate the Jinja chat template to embed, or null
     */
    public static GgufTokenizer read(Path modelDir, int vocabSize, String chatTemplate) {
        return read(modelDir, HfTokenizer.load(modelDir), vocabSize, chatTemplate);
    }

    /** As {@link #read(Path, int, String)} with the folder's tokenizer already loaded. */
    public static GgufTokenizer read(Path modelDir, HfTokenizer tokenizer, int vocabSize, String chatTemplate) {
        Path file = modelDir.resolve("tokenizer.json");
        Path sentencePiece = modelDir.resolve("tokenizer.model");
        if (!Files.isRegularFile(file) && Files.isRegularFile(sentencePiece)) {
            return sentencePiece(sentencePiece, tokenizer, vocabSize, chatTemplate);
        }
        if (!Files.isRegularFile(file)) {
            throw new JtuneException(modelDir + ": GGUF export needs tokenizer.json or a sentencepiece tokenizer.model");
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new JtuneException(file + ": not valid JSON: " + e.getMessage());
        }
        JsonNode model = root.path("model");
        if (!"BPE".equals(model.path("type").asText())) {
            throw new JtuneException(file + ": model.type '" + model.path("type").asText() + "' is not supported for GGUF export; supported: BPE");
        }
        Map<String, Integer> vocab = new LinkedHashMap<>();
        model.path("vocab").properties().forEach(e -> vocab.put(e.getKey(), e.getValue().asInt()));
        List<String> merges = merges(file, model.path("merges"));
        Map<Integer, GgufTokenizer.AddedToken> added = new LinkedHashMap<>();
        for (JsonNode a : root.path("added_tokens")) {
            added.put(a.path("id").asInt(), new GgufTokenizer.AddedToken(a.path("content").asText(), a.path("special").asBoolean(false)));
        }
        boolean byteLevel = mentionsType(root.path("pre_tokenizer"), "ByteLevel") || mentionsType(root.path("decoder"), "ByteLevel");
        boolean byteFallback = model.path("byte_fallback").asBoolean(false);
        if (!byteLevel && !byteFallback) {
            throw new JtuneException(file + ": a BPE tokenizer that is neither byte-level nor SentencePiece-style (byte_fallback)"
                    + " cannot be written to GGUF yet");
        }

        Integer bos = id(tokenizer.bosTokenId());
        Integer eos = id(tokenizer.eosTokenId());
        Integer pad = id(tokenizer.padTokenId());
        Integer unk = model.hasNonNull("unk_token") ? id(tokenizer.tokenToId(model.get("unk_token").asText())) : null;
        // add_bos / add_eos as the tokenizer behaves: what encode(..., addSpecialTokens) puts around a text
        int[] plain = tokenizer.encode("a", false);
        int[] withSpecial = tokenizer.encode("a", true);
        boolean addBos = bos != null && withSpecial.length > plain.length && withSpecial[0] == bos;
        boolean addEos = eos != null && withSpecial.length > plain.length && withSpecial[withSpecial.length - 1] == eos;

        GgufTokenizer.Vocabulary v = GgufTokenizer.vocabulary(vocabSize, vocab, added);
        if (byteLevel) {
            return new GgufTokenizer("gpt2", preTokenizerName(root.path("pre_tokenizer")), v.tokens(), v.types(), merges, null,
                    bos, eos, unk, pad, addBos, addEos, null, chatTemplate);
        }
        int[] types = v.types().clone();
        float[] scores = new float[vocabSize];
        Map<String, Integer> mergeRank = new HashMap<>();
        for (int i = 0; i < merges.size(); i++) {
            String m = merges.get(i);
            int space = m.indexOf(' ');
            mergeRank.putIfAbsent(m.substring(0, space) + m.substring(space + 1), i);
        }
        for (int i = 0; i < vocabSize; i++) {
            String t = v.tokens().get(i);
            Integer rank = mergeRank.get(t);
            scores[i] = added.containsKey(i) ? -1000f : rank != null ? -rank : 0f;
            if (types[i] == GgufTokenizer.TYPE_NORMAL && BYTE_TOKEN.matcher(t).matches()) types[i] = GgufTokenizer.TYPE_BYTE;
            if (unk != null && i == unk) types[i] = GgufTokenizer.TYPE_UNKNOWN;
        }
        return new GgufTokenizer("llama", null, v.tokens(), types, null, scores, bos, eos, unk, pad, addBos, addEos,
                addsSpacePrefix(root), chatTemplate);
    }

    /**
     * A sentencepiece tokenizer.model as the converter writes it (tokenizer.ggml.model "llama"): every
     * piece with its score and type (normal, unknown, control, user-defined, unused, byte), and the ids
     * past the pieces as the tokenizer has them. For ChatGLM3 (its special tokens after the pieces),
     * as the converter's ChatGLMModel.set_vocab_chatglm3: pre-tokenizer "chatglm-spm", ids 0, 1 and 2
     * renamed <unk>, <bos>, <eos>, the special tokens control tokens, ids without a token "[PAD{id}]"
     * (unused), and no BOS added.
     */
    private static GgufTokenizer sentencePiece(Path file, HfTokenizer tokenizer, int vocabSize, String chatTemplate) {
        SentencePieceProcessor sp = SentencePieceProcessor.load(file);
        boolean chatGlm = "[gMASK]".equals(tokenizer.idToToken(sp.size() + 1));
        List<String> tokens = new ArrayList<>(vocabSize);
        int[] types = new int[vocabSize];
        float[] scores = new float[vocabSize];
        for (int id = 0; id < vocabSize; id++) {
            if (id < sp.size()) {
                String piece = sp.idToPiece(id);
                if (chatGlm && id < 3) piece = List.of("<unk>", "<bos>", "<eos>").get(id);
                tokens.add(piece);
                scores[id] = sp.proto().pieces().get(id).score();
                types[id] = sp.type(id).ordinal() + 1;   // PieceType is numbered as llama.cpp's token types
                continue;
            }
            String content = tokenizer.idToToken(id);
            if (content == null || content.isEmpty()) {
                tokens.add("[PAD" + id + "]");
                types[id] = GgufTokenizer.TYPE_UNUSED;
            } else {
                tokens.add(content);
                types[id] = tokenizer.isSpecial(id) ? GgufTokenizer.TYPE_CONTROL : GgufTokenizer.TYPE_USER_DEFINED;
            }
        }
        Integer bos = id(tokenizer.bosTokenId()), eos = id(tokenizer.eosTokenId()), pad = id(tokenizer.padTokenId());
        int[] plain = tokenizer.encode("a", false), withSpecial = tokenizer.encode("a", true);
        boolean addBos = !chatGlm && bos != null && withSpecial.length > plain.length && withSpecial[0] == bos;
        boolean addEos = eos != null && withSpecial.length > plain.length && withSpecial[withSpecial.length - 1] == eos;
        return new GgufTokenizer("llama", chatGlm ? "chatglm-spm" : "default", tokens, types, null, scores, bos, eos, sp.unkId(), pad,
                addBos, addEos, sp.proto().normalization().addDummyPrefix(), chatTemplate);
    }

    /** Merges as "a b" strings: tokenizer.json holds either that form or two-element arrays (tokenizers >= 0.20). */
    private static List<String> merges(Path file, JsonNode node) {
        List<String> out = new ArrayList<>();
        for (JsonNode m : node) {
            if (m.isTextual()) {
                out.add(m.asText());
            } else if (m.isArray() && m.size() == 2) {
                out.add(m.get(0).asText() + " " + m.get(1).asText());
            } else {
                throw new JtuneException(file + ": model.merges entry " + out.size() + " is neither \"a b\" nor [\"a\", \"b\"]");
            }
        }
        return out;
    }

    /** tokenizer.ggml.pre from the Split regex: qwen2, llama-bpe, gpt-4o, gpt-2 (plain ByteLevel regex), else default. */
    static String preTokenizerName(JsonNode preTokenizer) {
        List<String> regexes = new ArrayList<>();
        collectSplitRegexes(preTokenizer, regexes);
        if (regexes.contains(QWEN2_SPLIT)) return "qwen2";
        if (regexes.contains(LLAMA3_SPLIT)) return "llama-bpe";
        if (regexes.contains(GPT4O_SPLIT)) return "gpt-4o";
        if (regexes.isEmpty() && usesGpt2Regex(preTokenizer)) return "gpt-2";
        return "default";
    }

    private static void collectSplitRegexes(JsonNode node, List<String> out) {
        if (node == null || node.isMissingNode() || node.isNull()) return;
        if ("Split".equals(node.path("type").asText()) && node.path("pattern").has("Regex")) {
            out.add(node.path("pattern").path("Regex").asText());
        }
        for (JsonNode child : node.path("pretokenizers")) collectSplitRegexes(child, out);
    }

    private static boolean usesGpt2Regex(JsonNode node) {
        if (node == null || node.isMissingNode() || node.isNull()) return false;
        if ("ByteLevel".equals(node.path("type").asText())) return node.path("use_regex").asBoolean(true);
        for (JsonNode child : node.path("pretokenizers")) if (usesGpt2Regex(child)) return true;
        return false;
    }

    private static boolean mentionsType(JsonNode node, String type) {
        if (node == null || node.isMissingNode() || node.isNull()) return false;
        if (type.equals(node.path("type").asText())) return true;
        for (String list : List.of("pretokenizers", "decoders", "normalizers")) {
            for (JsonNode child : node.path(list)) if (mentionsType(child, type)) return true;
        }
        return false;
    }

    /** SentencePiece-style tokenizers prepend "▁" through the normalizer (Llama 2) or a Metaspace pre-tokenizer. */
    private static boolean addsSpacePrefix(JsonNode root) {
        return prepends(root.path("normalizer")) || metaspacePrefix(root.path("pre_tokenizer"));
    }

    private static boolean prepends(JsonNode node) {
        if (node == null || node.isMissingNode() || node.isNull()) return false;
        if ("Prepend".equals(node.path("type").asText()) && "\u2581".equals(node.path("prepend").asText())) return true;
        for (JsonNode child : node.path("normalizers")) if (prepends(child)) return true;
        return false;
    }

    private static boolean metaspacePrefix(JsonNode node) {
        if (node == null || node.isMissingNode() || node.isNull()) return false;
        if ("Metaspace".equals(node.path("type").asText())) {
            return node.path("add_prefix_space").asBoolean(false) || !"never".equals(node.path("prepend_scheme").asText("never"));
        }
        for (JsonNode child : node.path("pretokenizers")) if (metaspacePrefix(child)) return true;
        return false;
    }

    private static Integer id(OptionalInt id) {
        return id.isPresent() ? id.getAsInt() : null;
    }
}
