package io.jtune.tokenizer;

import io.jtune.tokenizer.text.Decoder;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes ids one at a time for streaming generation. Each call returns only text that is final:
 * nothing while the ids so far end inside a UTF-8 character (the decode then ends in U+FFFD,
 * e.g. after the first of three {@code <0xE4><0xBD><0xA0>} byte tokens).
 *
 * <p>Text is computed as the difference between decoding a small window of ids with and without
 * the new ones. The window keeps the last id already emitted as context, so decoders that treat
 * the first token specially (Metaspace and Strip drop its leading space) see the new tokens as
 * the continuation they are. When that id is a byte-fallback token, the context reaches back to
 * the last ordinary token: ByteFallback decodes a run of byte tokens as a whole, and a run cut in
 * the middle of a character would turn into U+FFFD. Concatenating every returned piece and
 * {@link #finish()} gives the same text as decoding all ids at once without
 * clean_up_tokenization_spaces: that clean-up (" ." to ".") can change text already emitted, so
 * a stream never applies it. One difference: ids that end inside a character (generation stopped
 * by max_new_tokens in the middle of one) are dropped by {@link #finish()}, where a whole decode
 * shows U+FFFD; a stream never shows half a character.
 */
public final class StreamingDecoder {
    private static final String REPLACEMENT = "\uFFFD";

    private final HfTokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private final List<Integer> window = new ArrayList<>();
    private String windowText = "";  // the decode of the window's ids before the pending ones
    private int pending;              // ids at the end of the window not yet turned into text

    StreamingDecoder(HfTokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /** Adds one id; returns the text it completes (possibly empty). */
    public String next(int id) {
        window.add(id);
        pending++;
        String text = decodeWindow();
        if (text.length() <= windowText.length() || text.endsWith(REPLACEMENT) || !text.startsWith(windowText)) {
            return "";
        }
        String fresh = text.substring(windowText.length());
        int contextStart = window.size() - 1;
        while (contextStart > 0 && isByteToken(window.get(contextStart))) contextStart--;
        window.subList(0, contextStart).clear();
        windowText = decodeWindow();
        pending = 0;
        return fresh;
    }

    /**
     * The text still held back at the end of the stream, less an incomplete character at its end:
     * those bytes will never be completed, and U+FFFD in their place would be a broken character in
     * the reply. (A U+FFFD the model wrote as a whole character at the very end goes too: the
     * decoded text cannot tell the two apart.)
     */
    public String finish() {
        if (pending == 0) return "";
        String text = decodeWindow();
        window.clear();
        pending = 0;
        String rest = text.startsWith(windowText) ? text.substring(windowText.length()) : text;
        windowText = "";
        int end = rest.length();
        while (end > 0 && rest.startsWith(REPLACEMENT, end - 1)) end--;
        return rest.substring(0, end);
    }

    private boolean isByteToken(int id) {
        String token = tokenizer.idToToken(id);
        return token != null && Decoder.ByteFallback.byteToken(token) >= 0;
    }

    private String decodeWindow() {
        int[] ids = new int[window.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = window.get(i);
        return tokenizer.decode(ids, skipSpecialTokens, false);
    }
}
