package io.jtune.tokenizer.train;

/**
 * GPT-2's byte-level alphabet: every byte value gets a printable Unicode character, so that BPE
 * can work on strings while covering any input. Printable Latin-1 bytes map to themselves; the
 * others (controls, space, ...) map to U+0100 upwards in byte order. This is the mapping Hugging
 * Face's ByteLevel pre-tokenizer and decoder use, so vocabularies built on it load anywhere.
 */
final class ByteLevelAlphabet {
    private static final char[] BYTE_TO_CHAR = new char[256];

    static {
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = printable ? (char) b : (char) next++;
        }
    }

    private ByteLevelAlphabet() {}

    static char charOf(int unsignedByte) {
        return BYTE_TO_CHAR[unsignedByte];
    }

    /** The alphabet's encoding of a UTF-8 byte string. */
    static String encode(byte[] utf8) {
        StringBuilder sb = new StringBuilder(utf8.length);
        for (byte b : utf8) sb.append(BYTE_TO_CHAR[b & 0xff]);
        return sb.toString();
    }
}
