package io.jtune.io.gguf;

import io.jtune.JtuneException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a GGUF v3 file (memory-mapped): header, metadata, tensor infos, and tensor data widened to
 * fp32 (F16, BF16 and Q8_0 are dequantized). Every malformed input ends in one JtuneException that
 * names the file and the byte offset or the key/tensor at fault.
 */
public final class GgufReader implements AutoCloseable {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int MAX_DIMS = 4;

    /**
     * One tensor's entry in the file.
     *
     * @param dims   in GGUF order: dims[0] is the row length (fastest varying)
     * @param offset from the start of the data section
     */
    public record TensorInfo(String name, long[] dims, GgmlType type, long offset) {
        /** The shape in row-major (torch/numpy) order: dims reversed. */
        public long[] shape() {
            long[] s = new long[dims.length];
            for (int i = 0; i < dims.length; i++) s[i] = dims[dims.length - 1 - i];
            return s;
        }

        public long elementCount() {
            long n = 1;
            for (long d : dims) n *= d;
            return n;
        }

        public long byteSize() {
            return type.rowBytes(dims[0]) * (elementCount() / dims[0]);
        }
    }

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private long pos;
    private final int version;
    private final GgufMetadata metadata;
    private final Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    private final int alignment;
    private final long dataStart;

    private GgufReader(Path path) throws IOException {
        this.path = path;
        this.arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            this.file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
        try {
            int magic = u32();
            if (magic != GgufWriter.MAGIC) throw fail(0, "not a GGUF file (magic is 0x" + Integer.toHexString(magic) + ", expected \"GGUF\")");
            version = u32();
            if (version != GgufWriter.VERSION) throw fail(4, "GGUF version " + version + " is not supported (only version 3)");
            long tensorCount = count(u64(), "tensor count");
            long kvCount = count(u64(), "metadata count");
            metadata = new GgufMetadata(path.toString());
            for (long i = 0; i < kvCount; i++) {
                String key = string();
                GgufValueType type = GgufValueType.fromId(u32(), where("value type of '" + key + "'"));
                metadata.put(key, value(key, type));
            }
            alignment = readAlignment();
            for (long i = 0; i < tensorCount; i++) readTensorInfo();
            dataStart = GgufWriter.padded(pos, alignment);
            for (TensorInfo t : tensors.values()) {
                if (t.offset() % alignment != 0 || dataStart + t.offset() + t.byteSize() > file.byteSize()) {
                    throw new JtuneException(path + ": tensor '" + t.name() + "' at offset " + t.offset() + " (" + t.byteSize()
                            + " bytes) is misaligned or runs past the end of the file");
                }
            }
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public static GgufReader open(Path path) {
        try {
            return new GgufReader(path);
        } catch (IOException e) {
            throw new JtuneException(path + ": cannot read GGUF file: " + e.getMessage(), e);
        }
    }

    public int version() { return version; }
    public GgufMetadata metadata() { return metadata; }
    public int alignment() { return alignment; }
    public List<TensorInfo> tensors() { return Collections.unmodifiableList(new ArrayList<>(tensors.values())); }

    public TensorInfo tensor(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new JtuneException(path + ": no tensor named '" + name + "'");
        return t;
    }

    /** The tensor's stored bytes as a view of the mapped file (valid until {@link #close()}). */
    public MemorySegment segment(String name) {
        TensorInfo t = tensor(name);
        return file.asSlice(dataStart + t.offset(), t.byteSize());
    }

    public Path path() { return path; }

    /** The stored bytes of a tensor, as they are in the file (a Q8_0 tensor's blocks, for instance). */
    public byte[] rawBytes(String name) {
        TensorInfo t = tensor(name);
        return file.asSlice(dataStart + t.offset(), t.byteSize()).toArray(ValueLayout.JAVA_BYTE);
    }

    /** The tensor's values in row-major order, widened (or dequantized) to fp32. */
    public float[] readFloats(String name) {
        TensorInfo t = tensor(name);
        long n = t.elementCount();
        if (n > Integer.MAX_VALUE - 8) throw new JtuneException(path + ": tensor '" + name + "' is too large to read into one array");
        float[] out = new float[(int) n];
        int rowLength = Math.toIntExact(t.dims()[0]);
        int rowBytes = Math.toIntExact(t.type().rowBytes(rowLength));
        long rows = n / rowLength;
        byte[] buf = new byte[rowBytes];
        for (long r = 0; r < rows; r++) {
            MemorySegment.copy(file, ValueLayout.JAVA_BYTE, dataStart + t.offset() + r * rowBytes, buf, 0, rowBytes);
            TensorCodec.decode(t.type(), buf, 0, rowLength, out, (int) (r * rowLength));
        }
        return out;
    }

    @Override
    public void close() {
        arena.close();
    }

    private int readAlignment() {
        if (!metadata.contains(GgufWriter.ALIGNMENT_KEY)) return GgufWriter.DEFAULT_ALIGNMENT;
        long a = metadata.getLong(GgufWriter.ALIGNMENT_KEY);
        if (a <= 0 || a > (1 << 30) || Long.bitCount(a) != 1) throw new JtuneException(path + ": general.alignment " + a + " is not a power of two");
        return (int) a;
    }

    private void readTensorInfo() {
        long at = pos;
        String name = string();
        int nDims = u32();
        if (nDims < 1 || nDims > MAX_DIMS) throw fail(at, "tensor '" + name + "' has " + nDims + " dims (allowed 1.." + MAX_DIMS + ")");
        long[] dims = new long[nDims];
        for (int d = 0; d < nDims; d++) {
            dims[d] = u64();
            if (dims[d] <= 0 || dims[d] > (1L << 40)) throw fail(at, "tensor '" + name + "' has dimension " + dims[d]);
        }
        GgmlType type = GgmlType.fromId(u32(), where("tensor '" + name + "'"));
        if (dims[0] % type.blockSize() != 0) throw fail(at, "tensor '" + name + "': row length " + dims[0] + " is not a multiple of " + type.blockSize());
        long offset = u64();
        if (tensors.put(name, new TensorInfo(name, dims, type, offset)) != null) throw fail(at, "tensor '" + name + "' appears twice");
    }

    private GgufValue value(String key, GgufValueType type) {
        if (type != GgufValueType.ARRAY) return GgufValue.scalar(type, scalar(type));
        GgufValueType element = GgufValueType.fromId(u32(), where("element type of '" + key + "'"));
        if (element == GgufValueType.ARRAY) throw fail(pos, "'" + key + "': nested arrays are not supported");
        long n = count(u64(), "length of '" + key + "'");
        List<Object> items = new ArrayList<>((int) Math.min(n, 1 << 20));
        for (long i = 0; i < n; i++) items.add(scalar(element));
        return GgufValue.array(element, items);
    }

    private Object scalar(GgufValueType type) {
        return switch (type) {
            case UINT8 -> (long) (u8() & 0xff);
            case INT8 -> (long) (byte) u8();
            case UINT16 -> (long) (u16() & 0xffff);
            case INT16 -> (long) u16();
            case UINT32 -> u32() & 0xffff_ffffL;
            case INT32 -> (long) u32();
            case UINT64, INT64 -> u64();
            case FLOAT32 -> (double) Float.intBitsToFloat(u32());
            case FLOAT64 -> Double.longBitsToDouble(u64());
            case BOOL -> {
                int b = u8();
                if (b != 0 && b != 1) throw fail(pos - 1, "bool value " + b + " (allowed 0 or 1)");
                yield b == 1;
            }
            case STRING -> string();
            case ARRAY -> throw new IllegalStateException();
        };
    }

    private long count(long n, String what) {
        // every element takes at least one byte, so a count beyond the file is corrupt
        if (n < 0 || n > file.byteSize() - pos) throw fail(pos - 8, what + " " + n + " is larger than the file");
        return n;
    }

    private String string() {
        long at = pos;
        long len = u64();
        need(len);
        byte[] b = file.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
        pos += len;
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw fail(at, "string is not valid UTF-8");
        }
    }

    private int u8() { need(1); return file.get(ValueLayout.JAVA_BYTE, pos++); }
    private short u16() { need(2); short v = file.get(U16, pos); pos += 2; return v; }
    private int u32() { need(4); int v = file.get(U32, pos); pos += 4; return v; }
    private long u64() { need(8); long v = file.get(U64, pos); pos += 8; return v; }

    private void need(long n) {
        if (n < 0 || pos + n > file.byteSize()) throw fail(pos, "file is truncated (needs " + n + " more bytes, has " + (file.byteSize() - pos) + ")");
    }

    private String where(String what) {
        return path + " at byte " + pos + ", " + what;
    }

    private JtuneException fail(long at, String message) {
        return new JtuneException(path + " at byte " + at + ": " + message);
    }
}
