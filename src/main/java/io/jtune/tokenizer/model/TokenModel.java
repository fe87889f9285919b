package io.jtune.tokenizer.model;

import io.jtune.util.IntList;

/**
 * The model step of a tokenizer: turns one normalized, pre-tokenized piece of text into ids, and
 * knows its vocabulary. tokenizer.json's BPE ({@link BpeModel}) is one; a sentencepiece
 * tokenizer.model is another ({@link io.jtune.tokenizer.sentencepiece.SentencePieceTokenModel}).
 */
public interface TokenModel {
    /** Appends the ids of {@code text} to {@code out}. */
    void tokenize(String text, IntList out);

    /** The id of a token of the vocabulary, or null. */
    Integer tokenToId(String token);

    /** The token of an id, or null when the id is out of range. */
    String idToToken(int id);

    /** The number of ids of the vocabulary (the highest id + 1). */
    int size();
}
