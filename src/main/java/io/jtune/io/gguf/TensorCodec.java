package io.jtune.io.gguf;

import io.jtune.tensor.Numbers;
import io.jtune.tensor.Q4_0;
import io.jtune.tensor.Q8_0;

/** Encodes fp32 rows into a GGUF tensor type and decodes them back (little-endian throughout). */
final class TensorCodec {
    private TensorCodec() {}

    /** Encodes row[0 .. n) as {@code type} into out[0 .. type.rowBytes(n)). */
    static void encodeRow(GgmlType type, float[] row, int n, byte[] out) {
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) putInt(out, 4 * i, Float.floatToRawIntBits(row[i]));
            }
            case F16 -> {
                for (int i = 0; i < n; i++) putShort(out, 2 * i, Numbers.floatToF16(row[i]));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) putShort(out, 2 * i, Numbers.floatToBf16(row[i]));
            }
            case Q8_0 -> Q8_0.quantizeRow(row, 0, n, out, 0);
            case Q4_0 -> quantizeQ4_0(row, n, out);
            default -> throw new IllegalArgumentException("jtune does not write " + type + " tensors");
        }
    }

    /** Decodes n values of {@code type} from in[off ..] into dst[dstOff ..]. */
    static void decode(GgmlType type, byte[] in, int off, int n, float[] dst, int dstOff) {
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) dst[dstOff + i] = Float.intBitsToFloat(getInt(in, off + 4 * i));
            }
            case F16 -> {
                for (int i = 0; i < n; i++) dst[dstOff + i] = Numbers.f16ToFloat(getShort(in, off + 2 * i));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst[dstOff + i] = Numbers.bf16ToFloat(getShort(in, off + 2 * i));
            }
            case Q8_0 -> Q8_0.dequantizeRow(in, off, n, dst, dstOff);
            default -> {
                var format = type.blockFormat();
                byte[] block = new byte[format.blockBytes()];
                for (int b = 0; b < n / format.blockSize(); b++) {
                    System.arraycopy(in, off + b * format.blockBytes(), block, 0, block.length);
                    System.arraycopy(format.decodeBlock(block), 0, dst, dstOff + b * format.blockSize(), format.blockSize());
                }
            }
        }
    }

    /** ggml's quantize_row_q4_0_ref ({@link Q4_0#quantizeRow}). */
    static void quantizeQ4_0(float[] row, int n, byte[] out) {
        Q4_0.quantizeRow(row, 0, n, out, 0);
    }

    private static void putShort(byte[] b, int i, short v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >>> 8);
    }

    private static void putInt(byte[] b, int i, int v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >>> 8);
        b[i + 2] = (byte) (v >>> 16);
        b[i + 3] = (byte) (v >>> 24);
    }

    private static short getShort(byte[] b, int i) {
        return (short) ((b[i] & 0xff) | (b[i + 1] & 0xff) << 8);
    }

    private static int getInt(byte[] b, int i) {
        return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16 | (b[i + 3] & 0xff) << 24;
    }
}
