package io.jtune.tokenizer.text;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tokenizer.json decoder: turns the token strings of ids back into text pieces (HF's
 * decode_chain); the decoded text is their concatenation.
 */
public interface Decoder {
    List<String> decode(List<String> tokens);

    /** Byte-level tokens back to bytes, then UTF-8 (invalid sequences become U+FFFD). */
    record ByteLevel() implements Decoder {
        public List<String> decode(List<String> tokens) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (String token : tokens) {
                if (!appendBytes(token, bytes)) {
                    // A token outside the alphabet (an added token such as "<think>" written with
                    // other characters) is taken as its own UTF-8, as HF does.
                    bytes.writeBytes(token.getBytes(StandardCharsets.UTF_8));
                }
            }
            return List.of(bytes.toString(StandardCharsets.UTF_8));
        }

        private static boolean appendBytes(String token, ByteArrayOutputStream bytes) {
            for (int i = 0; i < token.length(); i++) if (ByteLevelAlphabet.byteOf(token.charAt(i)) < 0) return false;
            for (int i = 0; i < token.length(); i++) bytes.write(ByteLevelAlphabet.byteOf(token.charAt(i)));
            return true;
        }
    }

    /** Runs of {@code <0xNN>} tokens back to text; a run that is not valid UTF-8 gives one U+FFFD per byte. */
    record ByteFallback() implements Decoder {
        public List<String> decode(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            ByteArrayOutputStream run = new ByteArrayOutputStream();
            for (String token : tokens) {
                int b = byteToken(token);
                if (b >= 0) {
                    run.write(b);
                    continue;
                }
                flush(run, out);
                out.add(token);
            }
            flush(run, out);
            return out;
        }

        /** The byte of a {@code <0xNN>} token, or -1. */
        public static int byteToken(String token) {
            if (token.length() != 6 || !token.startsWith("<0x") || token.charAt(5) != '>') return -1;
            int hi = Character.digit(token.charAt(3), 16), lo = Character.digit(token.charAt(4), 16);
            return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
        }

        private static void flush(ByteArrayOutputStream run, List<String> out) {
            if (run.size() == 0) return;
            byte[] bytes = run.toByteArray();
            run.reset();
            try {
                out.add(StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes)).toString());
            } catch (CharacterCodingException e) {
                for (int i = 0; i < bytes.length; i++) out.add("\uFFFD");
            }
        }
    }

    /** Joins all tokens into one. */
    record Fuse() implements Decoder {
        public List<String> decode(List<String> tokens) {
            return List.of(String.join("", tokens));
        }
    }

    /** Removes up to {@code start} leading and {@code stop} trailing copies of a character from each token. */
    record Strip(String content, int start, int stop) implements Decoder {
        public List<String> decode(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String token : tokens) {
                int from = 0, to = token.length();
                for (int k = 0; k < start && token.startsWith(content, from); k++) from += content.length();
                for (int k = 0; k < stop && to - content.length() >= from && token.startsWith(content, to - content.length()); k++) {
                    to -= content.length();
                }
                out.add(token.substring(from, to));
            }
            return out;
        }
    }

    record Replace(Pattern pattern, String content) implements Decoder {
        public List<String> decode(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String token : tokens) out.add(pattern.matcher(token).replaceAll(Matcher.quoteReplacement(content)));
            return out;
        }
    }

    /** "▁" back to spaces; the space Metaspace prepended is dropped from the first token. */
    record Metaspace(String replacement, boolean stripFirstSpace) implements Decoder {
        public List<String> decode(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                String t = tokens.get(i).replace(replacement, " ");
                if (i == 0 && stripFirstSpace && t.startsWith(" ")) t = t.substring(1);
                out.add(t);
            }
            return out;
        }
    }

    record Sequence(List<Decoder> steps) implements Decoder {
        public List<String> decode(List<String> tokens) {
            for (Decoder step : steps) tokens = step.decode(tokens);
            return tokens;
        }
    }
}
