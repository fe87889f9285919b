package io.jtune.serve.openai;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes server-sent events ({@code data: <json>\n\n}), flushing each one so the client sees every
 * token as it comes. The first failed write means the client is gone: the stream turns silent and
 * runs {@code onClientGone} once (which cancels the generation), instead of throwing into the engine.
 */
final class SseStream {
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final OutputStream out;
    private final Runnable onClientGone;
    private boolean gone;

    SseStream(OutputStream out, Runnable onClientGone) {
        this.out = out;
        this.onClientGone = onClientGone;
    }

    /** Sends one event whose data is a JSON document (one line: Jackson writes no newlines). */
    void send(byte[] json) {
        write(DATA, json, END);
    }

    /** Sends OpenAI's end-of-stream marker. */
    void done() {
        write(DONE);
    }

    boolean clientGone() {
        return gone;
    }

    private void write(byte[]... parts) {
        if (gone) {
            return;
        }
        try {
            for (byte[] part : parts) {
                out.write(part);
            }
            out.flush();
        } catch (IOException e) {
            gone = true;
            onClientGone.run();
        }
    }
}
