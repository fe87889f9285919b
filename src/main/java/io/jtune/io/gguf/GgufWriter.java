package io.jtune.io.gguf;

import io.jtune.JtuneException;
import io.jtune.util.AtomicFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a GGUF v3 file in the layout of llama.cpp's gguf-py GGUFWriter:
 * <pre>
 *   "GGUF" | uint32 version=3 | uint64 tensor count | uint64 metadata count
 *   metadata: (string key, uint32 value type, value)*
 *   tensor infos: (string name, uint32 n_dims, uint64 dims[n_dims] fastest first, uint32 type, uint64 offset)*
 *   zero padding to the alignment
 *   tensor data, each tensor padded with zeros to the alignment; offsets count from the data start
 * </pre>
 * Strings are a uint64 byte length then UTF-8 bytes; everything is little-endian. The alignment is
 * general.alignment when the metadata sets it, else 32. Tensors are encoded and written one row at
 * a time, and the file appears only when complete (util.AtomicFiles).
 */
public final class GgufWriter {
    public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
    public static final int VERSION = 3;
    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String ALIGNMENT_KEY = "general.alignment";

    private GgufWriter() {}

    public static void write(Path target, GgufMetadata metadata, List<GgufTensor> tensors) throws IOException {
        int alignment = alignmentOf(metadata);
        checkNames(target, tensors);
        AtomicFiles.write(target, raw -> {
            LittleEndianOutput out = new LittleEndianOutput(raw);
            out.u32(MAGIC);
            out.u32(VERSION);
            out.u64(tensors.size());
            out.u64(metadata.size());
            for (Map.Entry<String, GgufValue> kv : metadata.asMap().entrySet()) {
                out.string(kv.getKey());
                writeValue(out, kv.getKey(), kv.getValue());
            }
            long offset = 0;
            for (GgufTensor t : tensors) {
                out.string(t.name());
                long[] shape = t.shape();
                out.u32(shape.length);
                for (int d = shape.length - 1; d >= 0; d--) out.u64(shape[d]);
                out.u32(t.type().id());
                out.u64(offset);
                offset += padded(t.byteSize(), alignment);
            }
            out.zeros(padded(out.count(), alignment) - out.count());
            for (GgufTensor t : tensors) {
                writeTensorData(out, t);
                out.zeros(padded(t.byteSize(), alignment) - t.byteSize());
            }
        });
    }

    static long padded(long n, int alignment) {
        return (n + alignment - 1) / alignment * alignment;
    }

    private static int alignmentOf(GgufMetadata metadata) {
        if (!metadata.contains(ALIGNMENT_KEY)) return DEFAULT_ALIGNMENT;
        GgufValue v = metadata.get(ALIGNMENT_KEY);
        long a = v.type() == GgufValueType.UINT32 ? (Long) v.value() : -1;
        if (a <= 0 || Long.bitCount(a) != 1) {
            throw new JtuneException(ALIGNMENT_KEY + " must be a uint32 power of two, got " + v.type() + " " + v.value());
        }
        return (int) a;
    }

    private static void checkNames(Path target, List<GgufTensor> tensors) {
        Set<String> seen = new HashSet<>();
        for (GgufTensor t : tensors) {
            if (!seen.add(t.name())) throw new JtuneException(target + ": tensor '" + t.name() + "' would be written twice");
        }
    }

    private static void writeTensorData(LittleEndianOutput out, GgufTensor t) throws IOException {
        TensorRows rows = t.rows();
        int n = rows.rowLength();
        if (n % t.type().blockSize() != 0) {
            throw new JtuneException("tensor '" + t.name() + "': rows of " + n + " values cannot be stored as "
                    + t.type() + " (blocks of " + t.type().blockSize() + ")");
        }
        float[] row = new float[n];
        byte[] encoded = new byte[Math.toIntExact(t.type().rowBytes(n))];
        for (int r = 0; r < rows.rowCount(); r++) {
            rows.readRow(r, row);
            TensorCodec.encodeRow(t.type(), row, n, encoded);
            out.bytes(encoded);
        }
    }

    private static void writeValue(LittleEndianOutput out, String key, GgufValue v) throws IOException {
        out.u32(v.type().id());
        if (v.type() == GgufValueType.ARRAY) {
            List<?> list = v.list();
            // an empty array is valid GGUF (its element type, then length 0): a byte-level BPE with no merges has one
            out.u32(v.elementType().id());
            out.u64(list.size());
            for (Object item : list) writeScalar(out, key, v.elementType(), item);
        } else {
            writeScalar(out, key, v.type(), v.value());
        }
    }

    private static void writeScalar(LittleEndianOutput out, String key, GgufValueType type, Object value) throws IOException {
        try {
            switch (type) {
                case UINT8, INT8 -> out.u8((int) (long) (Long) value);
                case UINT16, INT16 -> out.u16((int) (long) (Long) value);
                case UINT32, INT32 -> out.u32((int) (long) (Long) value);
                case UINT64, INT64 -> out.u64((Long) value);
                case FLOAT32 -> out.u32(Float.floatToRawIntBits((float) (double) (Double) value));
                case FLOAT64 -> out.u64(Double.doubleToRawLongBits((Double) value));
                case BOOL -> out.u8((Boolean) value ? 1 : 0);
                case STRING -> out.string((String) value);
                case ARRAY -> throw new JtuneException("metadata key '" + key + "': nested arrays are not supported");
            }
        } catch (ClassCastException e) {
            throw new JtuneException("metadata key '" + key + "': value " + value + " is not a " + type);
        }
    }

    /** Little-endian primitives over a stream, counting bytes for the alignment padding. */
    private static final class LittleEndianOutput {
        private final OutputStream out;
        private long count;

        LittleEndianOutput(OutputStream out) {
            this.out = out;
        }

        long count() { return count; }

        void u8(int v) throws IOException {
            out.write(v);
            count++;
        }

        void u16(int v) throws IOException {
            u8(v & 0xff);
            u8((v >>> 8) & 0xff);
        }

        void u32(int v) throws IOException {
            u16(v & 0xffff);
            u16(v >>> 16);
        }

        void u64(long v) throws IOException {
            u32((int) v);
            u32((int) (v >>> 32));
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            bytes(b);
        }

        void bytes(byte[] b) throws IOException {
            out.write(b);
            count += b.length;
        }

        void zeros(long n) throws IOException {
            for (long i = 0; i < n; i++) u8(0);
        }
    }
}
