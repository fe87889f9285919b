package io.jtune.tokenizer.sentencepiece;

import java.nio.charset.StandardCharsets;

/**
 * A reader of protocol buffers' wire format, the little that a sentencepiece model file needs:
 * each field is a key (field number << 3 | wire type) followed by a varint (type 0), 8 bytes (1),
 * a length-delimited run of bytes (2: strings, bytes and nested messages) or 4 bytes (5: floats).
 * Unknown fields are skipped, as protobuf parsers do.
 */
final class ProtoReader {
    static final int VARINT = 0, FIXED64 = 1, LENGTH_DELIMITED = 2, FIXED32 = 5;

    /** Thrown for bytes that are not a well-formed message; the caller names the file. */
    static final class MalformedException extends RuntimeException {
        MalformedException(String message) {
            super(message);
        }
    }

    private final byte[] data;
    private int pos;
    private final int end;
    private int fieldNumber, wireType;

    ProtoReader(byte[] data) {
        this(data, 0, data.length);
    }

    private ProtoReader(byte[] data, int start, int end) {
        this.data = data;
        this.pos = start;
        this.end = end;
    }

    /** Moves to the next field; false at the end of the message. */
    boolean next() {
        if (pos >= end) return false;
        long key = varint();
        fieldNumber = (int) (key >>> 3);
        wireType = (int) (key & 7);
        if (fieldNumber <= 0) throw new MalformedException("field number " + fieldNumber + " at byte " + pos);
        return true;
    }

    int field() { return fieldNumber; }

    int wireType() { return wireType; }

    long varint() {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) throw new MalformedException("a varint runs past the end at byte " + pos);
            byte b = data[pos++];
            value |= (long) (b & 0x7F) << shift;
            if (b >= 0) return value;
        }
        throw new MalformedException("a varint longer than 10 bytes at byte " + pos);
    }

    boolean bool() {
        expect(VARINT);
        return varint() != 0;
    }

    int int32() {
        expect(VARINT);
        return (int) varint();
    }

    float float32() {
        expect(FIXED32);
        if (end - pos < 4) throw new MalformedException("a float runs past the end at byte " + pos);
        int bits = (data[pos] & 0xFF) | (data[pos + 1] & 0xFF) << 8 | (data[pos + 2] & 0xFF) << 16 | (data[pos + 3] & 0xFF) << 24;
        pos += 4;
        return Float.intBitsToFloat(bits);
    }

    String string() {
        int length = length();
        String s = new String(data, pos, length, StandardCharsets.UTF_8);
        pos += length;
        return s;
    }

    /** A length-delimited field's bytes. */
    byte[] bytes() {
        int length = length();
        byte[] out = java.util.Arrays.copyOfRange(data, pos, pos + length);
        pos += length;
        return out;
    }

    /** A nested message, read by its own reader; this one moves past it. */
    ProtoReader message() {
        int length = length();
        ProtoReader inner = new ProtoReader(data, pos, pos + length);
        pos += length;
        return inner;
    }

    /** Skips the current field's value, whatever its wire type. */
    void skip() {
        switch (wireType) {
            case VARINT -> varint();
            case FIXED64 -> advance(8);
            case LENGTH_DELIMITED -> advance(length());
            case FIXED32 -> advance(4);
            default -> throw new MalformedException("wire type " + wireType + " of field " + fieldNumber + " is not supported");
        }
    }

    private int length() {
        expect(LENGTH_DELIMITED);
        long length = varint();
        if (length < 0 || length > end - pos) throw new MalformedException("field " + fieldNumber + " runs past the end");
        return (int) length;
    }

    private void advance(int n) {
        if (n > end - pos) throw new MalformedException("field " + fieldNumber + " runs past the end");
        pos += n;
    }

    private void expect(int type) {
        if (wireType != type) {
            throw new MalformedException("field " + fieldNumber + " has wire type " + wireType + ", expected " + type);
        }
    }
}
