package io.jtune.data.template;

/**
 * One element of a formatter's slots, as in LLaMA-Factory: plain text (tokenized, may hold the
 * {@code {{content}}} / {@code {{idx}}} placeholders), a named token looked up in the vocabulary,
 * or the tokenizer's BOS / EOS token (left out when the tokenizer has none).
 */
public sealed interface Slot {
    record Text(String text) implements Slot {}

    record Token(String token) implements Slot {}

    enum Special implements Slot { BOS, EOS }

    Slot BOS = Special.BOS;
    Slot EOS = Special.EOS;

    static Slot text(String text) {
        return new Text(text);
    }

    static Slot token(String token) {
        return new Token(token);
    }
}
