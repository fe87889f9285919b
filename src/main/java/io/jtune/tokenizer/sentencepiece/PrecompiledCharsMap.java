package io.jtune.tokenizer.sentencepiece;

/**
 * A normalization rule as sentencepiece stores it (normalizer_spec.precompiled_charsmap): a 4-byte
 * little-endian size, a Darts double-array trie of that many bytes over UTF-8 byte strings, then the
 * replacement strings, each ended by a NUL byte; a key's trie value is the offset of its replacement.
 * The normalizer takes the longest key that starts at a position.
 */
final class PrecompiledCharsMap {
    /** A matched key's length in bytes and its replacement's UTF-8 bytes. */
    record Match(int length, byte[] replacement) {}

    private final int[] units;
    private final byte[] normalized;

    PrecompiledCharsMap(byte[] blob) {
        if (blob.length <= 4) throw new ProtoReader.MalformedException("the precompiled character map is too short");
        int trieSize = (blob[0] & 0xFF) | (blob[1] & 0xFF) << 8 | (blob[2] & 0xFF) << 16 | (blob[3] & 0xFF) << 24;
        if (trieSize < 0 || trieSize % 4 != 0 || 4 + trieSize > blob.length) {
            throw new ProtoReader.MalformedException("the precompiled character map's trie size " + trieSize + " does not fit");
        }
        units = new int[trieSize / 4];
        for (int i = 0; i < units.length; i++) {
            int o = 4 + 4 * i;
            units[i] = (blob[o] & 0xFF) | (blob[o + 1] & 0xFF) << 8 | (blob[o + 2] & 0xFF) << 16 | (blob[o + 3] & 0xFF) << 24;
        }
        normalized = java.util.Arrays.copyOfRange(blob, 4 + trieSize, blob.length);
    }

    // Darts' unit layout: bit 8 has-leaf, label in bits 0-7 (bit 31 set on value units), offset bits 10-31
    // shifted by 8 more when bit 9 is set; a leaf unit's low 31 bits are the value.
    private static boolean hasLeaf(int unit) { return ((unit >>> 8) & 1) == 1; }
    private static int value(int unit) { return unit & 0x7FFFFFFF; }
    private static int label(int unit) { return unit & (0x80000000 | 0xFF); }
    private static int offset(int unit) { return (unit >>> 10) << ((unit & (1 << 9)) >>> 6); }

    /** The longest key starting at {@code pos}, or null (the common-prefix search of Darts). */
    Match longestMatch(byte[] key, int pos) {
        if (units.length == 0) return null;
        int nodePos = 0, unit = units[0];
        nodePos ^= offset(unit);
        Match best = null;
        for (int i = pos; i < key.length; i++) {
            int c = key[i] & 0xFF;
            if (c == 0) break;
            nodePos ^= c;
            if (nodePos < 0 || nodePos >= units.length) break;
            unit = units[nodePos];
            if (label(unit) != c) break;
            nodePos ^= offset(unit);
            if (hasLeaf(unit)) {
                if (nodePos < 0 || nodePos >= units.length) break;
                int v = value(units[nodePos]);
                best = new Match(i - pos + 1, replacement(v));
            }
        }
        return best;
    }

    private byte[] replacement(int offset) {
        if (offset < 0 || offset >= normalized.length) throw new ProtoReader.MalformedException("a replacement offset past the map");
        int end = offset;
        while (end < normalized.length && normalized[end] != 0) end++;
        return java.util.Arrays.copyOfRange(normalized, offset, end);
    }
}
