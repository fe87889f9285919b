package io.jtune.data.template;

import io.jtune.JtuneException;
import io.jtune.tokenizer.Tokenizer;
import io.jtune.util.IntList;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A tokenizer with the special tokens a template settles on, as LLaMA-Factory's
 * fix_special_tokens: a template with replace_eos makes its first stop word the EOS; a tokenizer
 * without EOS gets "&lt;|endoftext|&gt;"; PAD falls back to EOS. jtune never adds tokens to a
 * vocabulary (that would need resize_vocab), so a token that is not there is an error.
 */
public final class ChatTokenizer {
    private final Tokenizer tokenizer;
    private final String eosToken;
    private final int eosId;
    private final OptionalInt bosId;
    private final int padId;
    private final List<Integer> stopIds;
    private final boolean addsBos;

    private ChatTokenizer(Tokenizer tokenizer, String eosToken, int eosId, int padId, List<Integer> stopIds) {
        this.tokenizer = tokenizer;
        this.eosToken = eosToken;
        this.eosId = eosId;
        this.bosId = tokenizer.bosTokenId();
        this.padId = padId;
        this.stopIds = List.copyOf(stopIds);
        this.addsBos = detectAddsBos(tokenizer);
    }

    /** Settles the special tokens of {@code tokenizer} for {@code template}. */
    public static ChatTokenizer of(Tokenizer tokenizer, Template template) {
        List<String> stopWords = new ArrayList<>(template.stopWords());
        String eosToken = null;
        Integer eosId = null;
        if (tokenizer.eosTokenId().isPresent()) {
            eosId = tokenizer.eosTokenId().getAsInt();
            eosToken = tokenizer.idToToken(eosId);
        }
        if (template.replaceEos()) {
            String word = stopWords.removeFirst();
            eosId = requireToken(tokenizer, word, "template '" + template.name() + "' makes '" + word + "' the EOS token");
            eosToken = word;
        }
        if (eosId == null) {
            eosId = requireToken(tokenizer, "<|endoftext|>", "the tokenizer has no EOS token, so LLaMA-Factory's fallback");
            eosToken = "<|endoftext|>";
        }
        int padId = tokenizer.padTokenId().orElse(eosId);
        Set<Integer> stops = new LinkedHashSet<>();
        stops.add(eosId);
        for (String w : stopWords) tokenizer.tokenToId(w).ifPresent(stops::add);
        return new ChatTokenizer(tokenizer, eosToken, eosId, padId, new ArrayList<>(stops));
    }

    private static int requireToken(Tokenizer tokenizer, String token, String why) {
        OptionalInt id = tokenizer.tokenToId(token);
        if (id.isEmpty()) {
            throw new JtuneException(why + ", but the tokenizer has no token '" + token + "'. jtune cannot add tokens "
                    + "to a vocabulary (resize_vocab); pick the template that matches the model (see docs/templates.md).");
        }
        return id.getAsInt();
    }

    /** HF's add_bos_token, seen from the outside: does encoding with special tokens put BOS first? */
    private static boolean detectAddsBos(Tokenizer tokenizer) {
        if (tokenizer.bosTokenId().isEmpty()) return false;
        int[] with = tokenizer.encode("a", true);
        int[] without = tokenizer.encode("a", false);
        return with.length == without.length + 1 && with[0] == tokenizer.bosTokenId().getAsInt();
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** Text to ids without the tokenizer's own special tokens (HF's add_special_tokens=False). */
    public int[] encode(String text) {
        return text.isEmpty() ? new int[0] : tokenizer.encode(text, false);
    }

    /** Slots to ids as LLaMA-Factory's _convert_elements_to_ids. */
    public int[] ids(List<Slot> slots) {
        IntList out = new IntList();
        for (Slot slot : slots) {
            switch (slot) {
                case Slot.Text t -> out.addAll(encode(t.text()));
                case Slot.Token t -> out.add(tokenizer.tokenToId(t.token()).orElseThrow(() -> new JtuneException(
                        "The template needs the token '" + t.token() + "', which the tokenizer does not have.")));
                case Slot.Special s -> {
                    if (s == Slot.Special.BOS) bosId.ifPresent(out::add);
                    else out.add(eosId);
                }
            }
        }
        return out.toArray();
    }

    public String decode(int[] ids) {
        return tokenizer.decode(ids, false);
    }

    public String eosToken() {
        return eosToken;
    }

    public int eosId() {
        return eosId;
    }

    public OptionalInt bosId() {
        return bosId;
    }

    public String bosToken() {
        return bosId.isPresent() ? tokenizer.idToToken(bosId.getAsInt()) : null;
    }

    public int padId() {
        return padId;
    }

    /** EOS and every stop word the vocabulary has: where generation stops. */
    public List<Integer> stopIds() {
        return stopIds;
    }

    /** Whether the tokenizer adds BOS when asked for special tokens (HF's add_bos_token). */
    public boolean addsBos() {
        return addsBos;
    }
}
