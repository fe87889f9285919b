package io.jtune.data;

import io.jtune.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * A deterministic stand-in tokenizer for data tests: each special token is one id (0, 1, 2, ... in
 * the order given), every other character is one id (1000 + its code point). decode(encode(s)) == s,
 * so expected prompts can be written as plain strings.
 */
public final class FakeTokenizer implements Tokenizer {
    public static final List<String> SPECIALS = List.of("<s>", "</s>", "<pad>", "<|im_start|>", "<|im_end|>",
            "<|endoftext|>", "<|eot_id|>", "<|eom_id|>", "<|begin_of_text|>", "<|end_of_text|>", "<end_of_turn>",
            "<|end|>", "<|user|>", "<|observation|>", "<eos>", "<bos>");

    private final String bos;
    private final String eos;
    private final String pad;
    private final boolean addBos;

    public FakeTokenizer(String bos, String eos, String pad, boolean addBos) {
        this.bos = bos;
        this.eos = eos;
        this.pad = pad;
        this.addBos = addBos;
    }

    /** Llama-2-like: BOS "&lt;s&gt;" added by encode(.., true), EOS "&lt;/s&gt;", no pad. */
    public static FakeTokenizer llamaLike() {
        return new FakeTokenizer("<s>", "</s>", null, true);
    }

    /** Qwen-like: no BOS, EOS "&lt;|endoftext|&gt;", pad "&lt;|endoftext|&gt;". */
    public static FakeTokenizer qwenLike() {
        return new FakeTokenizer(null, "<|endoftext|>", "<|endoftext|>", false);
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        List<Integer> ids = new ArrayList<>();
        if (addSpecialTokens && addBos && bos != null) ids.add(SPECIALS.indexOf(bos));
        int i = 0;
        outer:
        while (i < text.length()) {
            for (int s = 0; s < SPECIALS.size(); s++) {
                if (text.startsWith(SPECIALS.get(s), i)) {
                    ids.add(s);
                    i += SPECIALS.get(s).length();
                    continue outer;
                }
            }
            int cp = text.codePointAt(i);
            ids.add(1000 + cp);
            i += Character.charCount(cp);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            if (id < 1000) {
                if (!skipSpecialTokens) sb.append(SPECIALS.get(id));
            } else {
                sb.appendCodePoint(id - 1000);
            }
        }
        return sb.toString();
    }

    @Override
    public OptionalInt tokenToId(String token) {
        int s = SPECIALS.indexOf(token);
        if (s >= 0) return OptionalInt.of(s);
        if (token.codePointCount(0, token.length()) == 1) return OptionalInt.of(1000 + token.codePointAt(0));
        return OptionalInt.empty();
    }

    @Override
    public String idToToken(int id) {
        if (id < 0) return null;
        if (id < SPECIALS.size()) return SPECIALS.get(id);
        if (id < 1000) return null;
        return new String(Character.toChars(id - 1000));
    }

    @Override
    public int vocabSize() {
        return 1000 + 0x110000;
    }

    @Override
    public OptionalInt bosTokenId() {
        return bos == null ? OptionalInt.empty() : OptionalInt.of(SPECIALS.indexOf(bos));
    }

    @Override
    public OptionalInt eosTokenId() {
        return eos == null ? OptionalInt.empty() : OptionalInt.of(SPECIALS.indexOf(eos));
    }

    @Override
    public OptionalInt padTokenId() {
        return pad == null ? OptionalInt.empty() : OptionalInt.of(SPECIALS.indexOf(pad));
    }

    @Override
    public String chatTemplate() {
        return null;
    }
}
