package io.jtune.io.gguf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.JtuneException;
import io.jtune.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Hugging Face tokenizer files (tokenizer.json, tokenizer_config.json) of a GGUF model, rebuilt
 * from its tokenizer.ggml.* keys the way transformers' GGUF loader does, so jtune's tokenizer reads
 * them like any checkpoint's: byte-level BPE ("gpt2": vocab, merges, the pre-tokenizer's split
 * regex by tokenizer.ggml.pre) and SentencePiece ("llama": a byte-fallback BPE whose merges come
 * from the scores, as transformers' LlamaConverter derives them). Control and user-defined tokens
 * become added tokens (control ones special); bos/eos/pad, add_bos_token and the chat template go
 * to tokenizer_config.json.
 *
 * <p>The files are written once per GGUF file (keyed by its path, size and modification time) under
 * {@code $JTUNE_CACHE/gguf-tokenizers} (the system property jtune.cache first; default {@code ~/.cache/jtune}).
 */
public final class GgufHfTokenizerFiles {
    /** Qwen2's split regex (tokenizer.ggml.pre "qwen2"), as in its tokenizer.json. */
    static final String QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Llama 3's split regex (tokenizer.ggml.pre "llama-bpe"). */
    static final String LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private GgufHfTokenizerFiles() {}

    /** The folder holding the tokenizer files of {@code gguf}, written on first use. */
    public static Path folder(GgufModel gguf) {
        Path file = gguf.path();
        try {
            String key = file.toAbsolutePath().normalize() + "|" + Files.size(file) + "|" + Files.getLastModifiedTime(file).toMillis();
            String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes())).substring(0, 16);
            Path dir = cacheRoot().resolve("gguf-tokenizers").resolve(hash);
            if (!Files.isRegularFile(dir.resolve("tokenizer_config.json"))) write(gguf.metadata(), dir, file.toString());
            return dir;
        } catch (IOException e) {
            throw new JtuneException(file + ": cannot write its tokenizer files to the cache: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path cacheRoot() {
        String env = System.getProperty("jtune.cache", System.getenv("JTUNE_CACHE"));
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "jtune");
    }

    /** Writes tokenizer.json and tokenizer_config.json (last, so a folder holding it is complete) into {@code dir}. */
    public static void write(GgufMetadata m, Path dir, String where) throws IOException {
        if (!m.contains("tokenizer.ggml.model")) throw new JtuneException(where + ": tokenizer.ggml.model is missing (no tokenizer in the file)");
        String model = m.getString("tokenizer.ggml.model");
        List<String> tokens = m.getStringList("tokenizer.ggml.tokens");
        int[] types = intArray(m, "tokenizer.ggml.token_type", tokens.size());
        ObjectNode json = switch (model) {
            case "gpt2" -> byteLevelBpe(m, tokens, types, where);
            case "llama" -> sentencePiece(m, tokens, types, where);
            default -> throw new JtuneException(where + ": tokenizer.ggml.model '" + model + "' is not supported (gpt2 and llama are)");
        };
        ObjectNode config = F.objectNode();
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        config.put("clean_up_tokenization_spaces", false);
        putToken(config, "bos_token", m, "tokenizer.ggml.bos_token_id", tokens);
        putToken(config, "eos_token", m, "tokenizer.ggml.eos_token_id", tokens);
        putToken(config, "pad_token", m, "tokenizer.ggml.padding_token_id", tokens);
        putToken(config, "unk_token", m, "tokenizer.ggml.unknown_token_id", tokens);
        if (m.contains("tokenizer.chat_template")) config.put("chat_template", m.getString("tokenizer.chat_template"));
        Files.createDirectories(dir);
        ObjectMapper mapper = new ObjectMapper();
        AtomicFiles.writeBytes(dir.resolve("tokenizer.json"), mapper.writeValueAsBytes(json));
        AtomicFiles.writeBytes(dir.resolve("tokenizer_config.json"), mapper.writeValueAsBytes(config));
    }

    private static ObjectNode byteLevelBpe(GgufMetadata m, List<String> tokens, int[] types, String where) {
        String pre = m.contains("tokenizer.ggml.pre") ? m.getString("tokenizer.ggml.pre") : "default";
        ObjectNode json = skeleton(tokens, types);
        ObjectNode byteLevel = F.objectNode().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true);
        switch (pre) {
            case "qwen2", "llama-bpe", "llama3" -> {
                ObjectNode split = F.objectNode().put("type", "Split");
                split.putObject("pattern").put("Regex", pre.equals("qwen2") ? QWEN2_SPLIT : LLAMA3_SPLIT);
                split.put("behavior", "Isolated").put("invert", false);
                // Qwen2's tokenizer.json composes to NFC first (llama.cpp does not normalize; transformers does)
                if (pre.equals("qwen2")) json.putObject("normalizer").put("type", "NFC");
                ObjectNode seq = json.putObject("pre_tokenizer").put("type", "Sequence");
                seq.putArray("pretokenizers").add(split).add(byteLevel.deepCopy().put("use_regex", false));
            }
            case "default", "gpt-2", "gpt2" -> json.set("pre_tokenizer", byteLevel.deepCopy().put("use_regex", true));
            default -> throw new JtuneException(where + ": tokenizer.ggml.pre '" + pre + "' is not supported yet (qwen2, llama-bpe, gpt-2, default are)");
        }
        json.set("decoder", byteLevel.deepCopy().put("use_regex", true));
        postProcessor(json, m, tokens, byteLevel.deepCopy().put("use_regex", true));
        ObjectNode bpe = model(json, tokens, types, false);
        ArrayNode merges = bpe.putArray("merges");
        if (!m.contains("tokenizer.ggml.merges")) throw new JtuneException(where + ": tokenizer.ggml.merges is missing (a gpt2 tokenizer needs them)");
        for (String merge : m.getStringList("tokenizer.ggml.merges")) merges.add(merge);
        return json;
    }

    private static ObjectNode sentencePiece(GgufMetadata m, List<String> tokens, int[] types, String where) {
        if (!m.contains("tokenizer.ggml.scores")) throw new JtuneException(where + ": tokenizer.ggml.scores is missing (a llama tokenizer needs them)");
        float[] scores = floatArray(m, "tokenizer.ggml.scores", tokens.size());
        ObjectNode json = skeleton(tokens, types);
        boolean prefix = !m.contains("tokenizer.ggml.add_space_prefix") || m.getBool("tokenizer.ggml.add_space_prefix");
        ObjectNode norm = json.putObject("normalizer").put("type", "Sequence");
        ArrayNode normalizers = norm.putArray("normalizers");
        if (prefix) normalizers.addObject().put("type", "Prepend").put("prepend", "\u2581");
        ObjectNode replace = normalizers.addObject().put("type", "Replace");
        replace.putObject("pattern").put("String", " ");
        replace.put("content", "\u2581");
        json.putNull("pre_tokenizer");
        ObjectNode dec = json.putObject("decoder").put("type", "Sequence");
        ArrayNode decoders = dec.putArray("decoders");
        ObjectNode back = decoders.addObject().put("type", "Replace");
        back.putObject("pattern").put("String", "\u2581");
        back.put("content", " ");
        decoders.addObject().put("type", "ByteFallback");
        decoders.addObject().put("type", "Fuse");
        if (prefix) decoders.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        postProcessor(json, m, tokens, null);
        ObjectNode bpe = model(json, tokens, types, true);
        ArrayNode merges = bpe.putArray("merges");
        for (String merge : sentencePieceMerges(tokens, types, scores)) merges.add(merge);
        return json;
    }

    /**
     * transformers' SentencePieceExtractor: every way to split a (normal) piece into two pieces of the
     * vocabulary is a merge; merges are ordered by the merged piece's score, best first, and within a
     * piece by the ids of the left and right parts.
     */
    static List<String> sentencePieceMerges(List<String> tokens, int[] types, float[] scores) {
        Map<String, Integer> vocab = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) vocab.putIfAbsent(tokens.get(i), i);
        record Merge(String left, String right, float score, int leftId, int rightId, int order) {}
        List<Merge> all = new ArrayList<>();
        List<Integer> byScore = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) byScore.add(i);
        byScore.sort(Comparator.comparingDouble((Integer i) -> -scores[i]));
        int order = 0;
        for (int id : byScore) {
            String piece = tokens.get(id);
            List<Merge> local = new ArrayList<>();
            for (int k = 1; k < piece.length(); k++) {
                if (Character.isLowSurrogate(piece.charAt(k))) continue;
                Integer l = vocab.get(piece.substring(0, k)), r = vocab.get(piece.substring(k));
                if (l != null && r != null) local.add(new Merge(piece.substring(0, k), piece.substring(k), scores[id], l, r, 0));
            }
            local.sort(Comparator.comparingInt(Merge::leftId).thenComparingInt(Merge::rightId));
            for (Merge x : local) all.add(new Merge(x.left(), x.right(), x.score(), x.leftId(), x.rightId(), order++));
        }
        List<String> out = new ArrayList<>(all.size());
        for (Merge x : all) out.add(x.left() + " " + x.right());
        return out;
    }

    private static ObjectNode skeleton(List<String> tokens, int[] types) {
        ObjectNode json = F.objectNode().put("version", "1.0");
        json.putNull("truncation");
        json.putNull("padding");
        ArrayNode added = json.putArray("added_tokens");
        for (int i = 0; i < tokens.size(); i++) {
            if (!isAdded(types[i])) continue;
            added.addObject().put("id", i).put("content", tokens.get(i)).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", types[i] != GgufTokenizer.TYPE_USER_DEFINED);
        }
        json.putNull("normalizer");
        return json;
    }

    /** Control, unknown and user-defined tokens are HF added tokens (the first two special), matched before the model runs. */
    private static boolean isAdded(int type) {
        return type == GgufTokenizer.TYPE_CONTROL || type == GgufTokenizer.TYPE_UNKNOWN || type == GgufTokenizer.TYPE_USER_DEFINED;
    }

    private static ObjectNode model(ObjectNode json, List<String> tokens, int[] types, boolean sentencePiece) {
        ObjectNode bpe = json.putObject("model").put("type", "BPE");
        bpe.putNull("dropout");
        if (sentencePiece) bpe.put("unk_token", "<unk>");
        else bpe.putNull("unk_token");
        bpe.putNull("continuing_subword_prefix");
        bpe.putNull("end_of_word_suffix");
        bpe.put("fuse_unk", sentencePiece).put("byte_fallback", sentencePiece).put("ignore_merges", false);
        ObjectNode vocab = bpe.putObject("vocab");
        for (int i = 0; i < tokens.size(); i++) {
            boolean added = isAdded(types[i]);
            if (types[i] == GgufTokenizer.TYPE_UNUSED || (added && !sentencePiece)) continue;
            if (!vocab.has(tokens.get(i))) vocab.put(tokens.get(i), i);
        }
        return bpe;
    }

    /** BOS added in front when tokenizer.ggml.add_bos_token says so (and EOS at the end likewise). */
    private static void postProcessor(ObjectNode json, GgufMetadata m, List<String> tokens, ObjectNode otherwise) {
        boolean bos = m.contains("tokenizer.ggml.add_bos_token") && m.getBool("tokenizer.ggml.add_bos_token")
                && m.contains("tokenizer.ggml.bos_token_id");
        boolean eos = m.contains("tokenizer.ggml.add_eos_token") && m.getBool("tokenizer.ggml.add_eos_token")
                && m.contains("tokenizer.ggml.eos_token_id");
        if (!bos && !eos) {
            if (otherwise == null) json.putNull("post_processor");
            else json.set("post_processor", otherwise);
            return;
        }
        ObjectNode p = json.putObject("post_processor").put("type", "TemplateProcessing");
        ArrayNode single = p.putArray("single"), pair = p.putArray("pair");
        ObjectNode specials = p.putObject("special_tokens");
        String bosToken = bos ? tokens.get((int) m.getLong("tokenizer.ggml.bos_token_id")) : null;
        String eosToken = eos ? tokens.get((int) m.getLong("tokenizer.ggml.eos_token_id")) : null;
        for (String seq : List.of("A", "B")) {
            int typeId = seq.equals("A") ? 0 : 1;
            for (ArrayNode t : seq.equals("A") ? List.of(single, pair) : List.of(pair)) {
                if (bos) t.addObject().putObject("SpecialToken").put("id", bosToken).put("type_id", typeId);
                t.addObject().putObject("Sequence").put("id", seq).put("type_id", typeId);
                if (eos) t.addObject().putObject("SpecialToken").put("id", eosToken).put("type_id", typeId);
            }
        }
        if (bos) special(specials, bosToken, (int) m.getLong("tokenizer.ggml.bos_token_id"));
        if (eos) special(specials, eosToken, (int) m.getLong("tokenizer.ggml.eos_token_id"));
    }

    private static void special(ObjectNode specials, String token, int id) {
        ObjectNode s = specials.putObject(token).put("id", token);
        s.putArray("ids").add(id);
        s.putArray("tokens").add(token);
    }

    private static void putToken(ObjectNode config, String key, GgufMetadata m, String idKey, List<String> tokens) {
        if (!m.contains(idKey)) return;
        long id = m.getLong(idKey);
        if (id >= 0 && id < tokens.size()) config.put(key, tokens.get((int) id));
    }

    private static int[] intArray(GgufMetadata m, String key, int n) {
        int[] out = new int[n];
        java.util.Arrays.fill(out, GgufTokenizer.TYPE_NORMAL);
        if (!m.contains(key)) return out;
        List<?> values = m.get(key).list();
        for (int i = 0; i < n && i < values.size(); i++) out[i] = ((Number) values.get(i)).intValue();
        return out;
    }

    private static float[] floatArray(GgufMetadata m, String key, int n) {
        float[] out = new float[n];
        List<?> values = m.get(key).list();
        for (int i = 0; i < n && i < values.size(); i++) out[i] = ((Number) values.get(i)).floatValue();
        return out;
    }
}
