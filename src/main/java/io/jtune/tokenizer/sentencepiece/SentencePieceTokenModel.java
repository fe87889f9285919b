package io.jtune.tokenizer.sentencepiece;

import io.jtune.tokenizer.model.TokenModel;
import io.jtune.tokenizer.text.Decoder;
import io.jtune.tokenizer.text.Normalizer;
import io.jtune.util.IntList;
import java.util.List;

/**
 * A sentencepiece model as the steps of jtune's tokenizer pipeline: its normalizer, its
 * segmentation (on text the normalizer has already rewritten) and its decoding. Added tokens are
 * cut out of the text before, so each stretch between them gets its own dummy prefix, as
 * transformers' slow tokenizers (which call sentencepiece per stretch) do.
 */
public final class SentencePieceTokenModel implements TokenModel {
    private final SentencePieceProcessor sp;

    public SentencePieceTokenModel(SentencePieceProcessor sp) {
        this.sp = sp;
    }

    public SentencePieceProcessor processor() { return sp; }

    @Override
    public void tokenize(String normalized, IntList out) {
        sp.encodeNormalized(normalized, out);
    }

    @Override
    public Integer tokenToId(String token) {
        return sp.findPiece(token);
    }

    @Override
    public String idToToken(int id) {
        return sp.idToPiece(id);
    }

    @Override
    public int size() {
        return sp.size();
    }

    /** sentencepiece's normalization (spaces to ▁, the dummy prefix, extra whitespace). */
    public Normalizer normalizer() {
        return sp::normalize;
    }

    /** sentencepiece's decoding of piece strings; a string that is no piece (an added token) shows as itself. */
    public Decoder decoder() {
        return tokens -> List.of(sp.decodePieces(tokens));
    }
}
