package io.jtune.io.safetensors;

import io.jtune.tensor.DType;
import io.jtune.tensor.Numbers;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Supplier;

/**
 * A tensor handed to {@link SafetensorsWriter}: name, dtype, shape and where its bytes come from,
 * either a segment already in the target dtype or fp32 values converted while writing (so saving
 * a model as bf16 never holds a second copy of it).
 */
public final class TensorToWrite {
    private final String name;
    private final DType dtype;
    private final long[] shape;
    private final MemorySegment bytes; // or
    private final float[] floats;          // or
    private final Supplier<float[]> lazy;  // fp32 values computed when written
    private final long elements;

    private TensorToWrite(String name, DType dtype, long[] shape, MemorySegment bytes, float[] floats, Supplier<float[]> lazy) {
        this.name = name;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.bytes = bytes;
        this.floats = floats;
        this.lazy = lazy;
        this.elements = byteCount(name, dtype, shape) / dtype.byteSize();
    }

    /** Raw little-endian bytes already in {@code dtype}; their size must match the shape. */
    public static TensorToWrite ofBytes(String name, DType dtype, long[] shape, MemorySegment bytes) {
        long expected = byteCount(name, dtype, shape);
        if (bytes.byteSize() != expected) {
            throw new SafetensorsException(null, name, "dtype " + dtype + " x shape " + StoredTensor.shapeString(shape)
                    + " needs " + expected + " bytes, the source has " + bytes.byteSize());
        }
        return new TensorToWrite(name, dtype, shape, bytes, null, null);
    }

    /**
     * fp32 values written as {@code dtype} (F32, F64, BF16 or F16), rounded to nearest-even as torch
     * rounds ({@link Numbers}).
     */
    public static TensorToWrite ofFloats(String name, DType dtype, long[] shape, float[] values) {
        requireFloatTarget(name, dtype);
        TensorToWrite t = new TensorToWrite(name, dtype, shape, null, values, null);
        t.checkLength(values);
        return t;
    }

    /**
     * Like {@link #ofFloats}, but the values are computed only when the tensor is written and dropped
     * right after (e.g. a LoRA-merged weight), so a writer streaming many such tensors holds one at a time.
     */
    public static TensorToWrite ofLazyFloats(String name, DType dtype, long[] shape, Supplier<float[]> values) {
        requireFloatTarget(name, dtype);
        return new TensorToWrite(name, dtype, shape, null, null, values);
    }

    private static void requireFloatTarget(String name, DType dtype) {
        if (dtype != DType.F32 && dtype != DType.F64 && dtype != DType.BF16 && dtype != DType.F16) {
            throw new SafetensorsException(null, name, "cannot convert fp32 values to " + dtype + " (allowed: F32, F64, BF16, F16)");
        }
    }

    private void checkLength(float[] values) {
        if (values.length != elements) {
            throw new SafetensorsException(null, name, "shape " + StoredTensor.shapeString(shape) + " has "
                    + elements + " elements, the array has " + values.length);
        }
    }

    /** A tensor read from another file, copied through unchanged. */
    public static TensorToWrite of(StoredTensor t) {
        return ofBytes(t.name(), t.dtype(), t.shape(), t.data());
    }

    public String name() { return name; }
    public DType dtype() { return dtype; }
    public long[] shape() { return shape.clone(); }

    public long byteSize() {
        return bytes != null ? bytes.byteSize() : elements * dtype.byteSize();
    }

    private static long byteCount(String name, DType dtype, long[] shape) {
        try {
            long n = dtype.byteSize();
            for (long d : shape) {
                if (d < 0) throw new ArithmeticException();
                n = Math.multiplyExact(n, d);
            }
            return n;
        } catch (ArithmeticException e) {
            throw new SafetensorsException(null, name, "invalid shape " + StoredTensor.shapeString(shape));
        }
    }

    /** Streams the bytes through {@code buffer} (whose length must be a multiple of 8). */
    void writeTo(OutputStream out, byte[] buffer) throws IOException {
        if (bytes != null) {
            for (long at = 0; at < bytes.byteSize(); at += buffer.length) {
                int n = (int) Math.min(buffer.length, bytes.byteSize() - at);
                MemorySegment.copy(bytes, ValueLayout.JAVA_BYTE, at, buffer, 0, n);
                out.write(buffer, 0, n);
            }
            return;
        }
        float[] floats = this.floats;
        if (floats == null) {
            floats = lazy.get();
            checkLength(floats);
        }
        ByteBuffer le = ByteBuffer.wrap(buffer).order(ByteOrder.LITTLE_ENDIAN);
        int perChunk = buffer.length / dtype.byteSize();
        for (int start = 0; start < floats.length; start += perChunk) {
            int end = Math.min(floats.length, start + perChunk);
            le.clear();
            switch (dtype) {
                case F32 -> le.asFloatBuffer().put(floats, start, end - start);
                case F64 -> { for (int i = start; i < end; i++) le.putDouble(floats[i]); }
                case BF16 -> { for (int i = start; i < end; i++) le.putShort(Numbers.floatToBf16(floats[i])); }
                case F16 -> { for (int i = start; i < end; i++) le.putShort(Numbers.floatToF16(floats[i])); }
                default -> throw new IllegalStateException(dtype.name());
            }
            out.write(buffer, 0, (end - start) * dtype.byteSize());
        }
    }
}
