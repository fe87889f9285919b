package io.jtune.io.gguf;

import io.jtune.JtuneException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a GGUF file carries of a tokenizer (the tokenizer.* keys llama.cpp reads). The export
 * command fills it from the real tokenizer.json / tokenizer_config.json; {@link #vocabulary} does
 * the token-type classification the way llama.cpp's converter does.
 *
 * @param model          tokenizer.ggml.model: "gpt2" for byte-level BPE (Qwen, Llama 3), "llama" for SentencePiece-style
 * @param pre            tokenizer.ggml.pre: the pre-tokenizer, e.g. "qwen2", "llama-bpe", "default"; null to leave out
 * @param tokens         every token string, indexed by id
 * @param tokenTypes     one of the TYPE_* constants per token
 * @param merges         BPE merges "a b" in rank order; null for SentencePiece
 * @param scores         SentencePiece scores per token; null for BPE
 * @param addBosToken    tokenizer.ggml.add_bos_token; null to leave out
 * @param addEosToken    tokenizer.ggml.add_eos_token; null to leave out
 * @param addSpacePrefix tokenizer.ggml.add_space_prefix; null to leave out
 * @param chatTemplate   tokenizer.chat_template (Jinja); null to leave out
 */
public record GgufTokenizer(
        String model,
        String pre,
        List<String> tokens,
        int[] tokenTypes,
        List<String> merges,
        float[] scores,
        Integer bosTokenId,
        Integer eosTokenId,
        Integer unknownTokenId,
        Integer paddingTokenId,
        Boolean addBosToken,
        Boolean addEosToken,
        Boolean addSpacePrefix,
        String chatTemplate) {

    /** The same tokenizer under another tokenizer.ggml.pre name. */
    public GgufTokenizer withPre(String newPre) {
        return new GgufTokenizer(model, newPre, tokens, tokenTypes, merges, scores, bosTokenId, eosTokenId, unknownTokenId,
                paddingTokenId, addBosToken, addEosToken, addSpacePrefix, chatTemplate);
    }

    /**
     * The same tokenizer without the unused ids at the end of the vocabulary (the padding a model's
     * vocab_size adds past its last real token), as the converter's Gemma3Model keeps only the
     * tokenizer's own tokens.
     */
    public GgufTokenizer withoutTrailingUnused() {
        int n = tokens.size();
        while (n > 1 && tokenTypes[n - 1] == TYPE_UNUSED) n--;
        if (n == tokens.size()) return this;
        return new GgufTokenizer(model, pre, tokens.subList(0, n), java.util.Arrays.copyOf(tokenTypes, n), merges,
                scores == null ? null : java.util.Arrays.copyOf(scores, n), bosTokenId, eosTokenId, unknownTokenId,
                paddingTokenId, addBosToken, addEosToken, addSpacePrefix, chatTemplate);
    }

    // llama.cpp's TokenType values (gguf-py constants.py)
    public static final int TYPE_NORMAL = 1;
    public static final int TYPE_UNKNOWN = 2;
    public static final int TYPE_CONTROL = 3;
    public static final int TYPE_USER_DEFINED = 4;
    public static final int TYPE_UNUSED = 5;
    public static final int TYPE_BYTE = 6;

    public GgufTokenizer {
        if (!"gpt2".equals(model) && !"llama".equals(model)) {
            throw new JtuneException("tokenizer.ggml.model '" + model + "' is not supported; allowed: gpt2 (byte-level BPE), llama (SentencePiece)");
        }
        if (tokens == null || tokens.isEmpty()) throw new JtuneException("the tokenizer has no tokens");
        if (tokenTypes == null || tokenTypes.length != tokens.size()) {
            throw new JtuneException("the tokenizer has " + tokens.size() + " tokens but "
                    + (tokenTypes == null ? "no" : String.valueOf(tokenTypes.length)) + " token types");
        }
        for (int i = 0; i < tokenTypes.length; i++) {
            if (tokenTypes[i] < TYPE_NORMAL || tokenTypes[i] > TYPE_BYTE) {
                throw new JtuneException("token " + i + " has type " + tokenTypes[i] + "; allowed 1..6 (normal, unknown, control, user-defined, unused, byte)");
            }
        }
        if (scores != null && scores.length != tokens.size()) {
            throw new JtuneException("the tokenizer has " + tokens.size() + " tokens but " + scores.length + " scores");
        }
        // an empty list is a valid byte-level BPE (a vocabulary of bytes and added tokens): llama.cpp needs the key, not entries
        if ("gpt2".equals(model) && merges == null) throw new JtuneException("a byte-level BPE tokenizer (gpt2) needs its merges (an empty list when it has none)");
        if ("llama".equals(model) && scores == null) throw new JtuneException("a SentencePiece-style tokenizer (llama) needs scores");
        checkId("bos", bosTokenId, tokens.size());
        checkId("eos", eosTokenId, tokens.size());
        checkId("unknown", unknownTokenId, tokens.size());
        checkId("padding", paddingTokenId, tokens.size());
        tokens = List.copyOf(tokens);
        tokenTypes = tokenTypes.clone();
        merges = merges == null ? null : List.copyOf(merges);
        scores = scores == null ? null : scores.clone();
    }

    private static void checkId(String what, Integer id, int n) {
        if (id != null && (id < 0 || id >= n)) throw new JtuneException("the " + what + " token id " + id + " is outside the vocabulary (0.." + (n - 1) + ")");
    }

    /** A token added on top of the model's vocabulary (tokenizer.json "added_tokens"). */
    public record AddedToken(String content, boolean special) {}

    /** Token strings and types, indexed by id. */
    public record Vocabulary(List<String> tokens, int[] types) {}

    /**
     * Classifies a BPE vocabulary as llama.cpp's converter (get_vocab_base) does: ids without a
     * token become "[PAD<id>]" UNUSED; added tokens are CONTROL when special or when they look
     * special ("&lt;|...|&gt;"), else USER_DEFINED; the rest NORMAL. (The converter also re-encodes
     * non-normalized added tokens through the HF tokenizer; jtune keeps their text as is.)
     *
     * @param vocabSize the model's vocab_size (the embedding rows), which may exceed the tokens
     */
    public static Vocabulary vocabulary(int vocabSize, Map<String, Integer> vocab, Map<Integer, AddedToken> added) {
        String[] byId = new String[vocabSize];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) place(byId, e.getValue(), e.getKey());
        for (Map.Entry<Integer, AddedToken> e : added.entrySet()) place(byId, e.getKey(), e.getValue().content());
        List<String> tokens = new ArrayList<>(vocabSize);
        int[] types = new int[vocabSize];
        for (int i = 0; i < vocabSize; i++) {
            AddedToken a = added.get(i);
            if (byId[i] == null) {
                tokens.add("[PAD" + i + "]");
                types[i] = TYPE_UNUSED;
            } else if (a != null) {
                boolean control = a.special() || looksSpecial(a.content());
                tokens.add(control ? a.content() : a.content().replace('\u2581', ' '));
                types[i] = control ? TYPE_CONTROL : TYPE_USER_DEFINED;
            } else {
                tokens.add(byId[i]);
                types[i] = TYPE_NORMAL;
            }
        }
        return new Vocabulary(tokens, types);
    }

    private static void place(String[] byId, int id, String token) {
        if (id < 0 || id >= byId.length) {
            throw new JtuneException("token '" + token + "' has id " + id + ", outside the model's vocab_size " + byId.length);
        }
        byId[id] = token;
    }

    /** The converter's does_token_look_special. */
    static boolean looksSpecial(String t) {
        return t.equals("<pad>") || t.equals("<mask>") || t.equals("<2mass>") || t.equals("[@BOS@]")
                || (t.startsWith("<|") && t.endsWith("|>"))
                || (t.startsWith("<\uff5c") && t.endsWith("\uff5c>"))
                || (t.startsWith("<unused") && t.endsWith(">"));
    }
}
