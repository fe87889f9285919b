package io.jtune.tokenizer;

import io.jtune.tokenizer.text.PostProcessor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * ChatGLM3's tokenizer (tokenizer_class ChatGLMTokenizer, its tokenization_chatglm.py): a
 * sentencepiece model whose special tokens are not pieces but ids after them, in this order:
 * [MASK], [gMASK], [sMASK], sop, eop, <|system|>, <|user|>, <|assistant|>, <|observation|>
 * (ChatGLM3-6B: 64789 pieces, so [gMASK] is 64790 and sop 64792). encode(text, add_special_tokens)
 * puts [gMASK] sop before the text (get_prefix_tokens); the pad and unknown token is the model's
 * unknown piece, the eos token its "</s>".
 */
final class ChatGlmSpecialTokens {
    static final String TOKENIZER_CLASS = "ChatGLMTokenizer";

    static final List<String> TOKENS = List.of("[MASK]", "[gMASK]", "[sMASK]", "sop", "eop",
            "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>");

    private ChatGlmSpecialTokens() {}

    /** The special tokens, numbered from the first id after the model's pieces. */
    static List<AddedToken> after(int pieces) {
        List<AddedToken> out = new ArrayList<>();
        for (int i = 0; i < TOKENS.size(); i++) out.add(new AddedToken(pieces + i, TOKENS.get(i), false, false, false, false, true));
        return out;
    }

    /** [gMASK] sop $A, what build_inputs_with_special_tokens makes of one text. */
    static PostProcessor prefixProcessor(Function<String, Integer> idOf) {
        return new PostProcessor.Template(List.of(new PostProcessor.Piece(new int[] {idOf.apply("[gMASK]"), idOf.apply("sop")}),
                PostProcessor.Piece.sequence()));
    }
}
