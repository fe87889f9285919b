package io.jtune.tokenizer;

import java.util.OptionalInt;

/**
 * A Hugging Face tokenizer (tokenizer.json + tokenizer_config.json) as the data path and the
 * generator use it.
 */
public interface Tokenizer {

    /**
     * Encodes text to ids. Added/special tokens written in the text are matched as tokens.
     * When {@code addSpecialTokens} is true the post-processor adds what the tokenizer adds
     * (e.g. Llama's BOS), as HF's {@code encode(text, add_special_tokens=True)}.
     */
    int[] encode(String text, boolean addSpecialTokens);

    /** Decodes ids to text; with {@code skipSpecialTokens} special tokens are left out. */
    String decode(int[] ids, boolean skipSpecialTokens);

    /** The id of a token string in the vocabulary or among the added tokens. */
    OptionalInt tokenToId(String token);

    /** The token string of an id, or null when the id is out of range. */
    String idToToken(int id);

    int vocabSize();

    OptionalInt bosTokenId();

    OptionalInt eosTokenId();

    OptionalInt padTokenId();

    /** The chat template from tokenizer_config.json or chat_template.jinja, or null. */
    String chatTemplate();
}
