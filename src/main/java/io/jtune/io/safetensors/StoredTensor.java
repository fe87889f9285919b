package io.jtune.io.safetensors;

import io.jtune.tensor.DType;
import io.jtune.tensor.Matrix;
import io.jtune.tensor.Numbers;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One tensor of a safetensors file: its name, dtype, shape and bytes. The bytes are a slice of the
 * file's memory mapping (no copy); they stay valid until the file is closed.
 */
public final class StoredTensor {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final String name;
    private final DType dtype;
    private final long[] shape;
    private final MemorySegment data;

    StoredTensor(Path file, String name, DType dtype, long[] shape, MemorySegment data) {
        this.file = file;
        this.name = name;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.data = data;
    }

    public String name() { return name; }
    public DType dtype() { return dtype; }
    /** The file this tensor lives in (for error messages). */
    public Path file() { return file; }
    /** A copy of the shape; an empty array for a scalar. */
    public long[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    /** The tensor's bytes, little-endian, row-major: a read-only slice of the mapped file. */
    public MemorySegment data() { return data; }
    public long byteSize() { return data.byteSize(); }

    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d; // cannot overflow: the header parser checked it
        return n;
    }

    /** True when the shape equals {@code expected} exactly. */
    public boolean hasShape(long... expected) {
        return Arrays.equals(shape, expected);
    }

    /**
     * A {@link Matrix} over the mapped bytes: a 2-D tensor as [rows x cols], a 1-D one (a norm weight,
     * a bias) as [1 x n]. Only F32, BF16 and F16 can be viewed; other dtypes need converting first.
     */
    public Matrix matrix() {
        if (!dtype.isComputable()) {
            throw new SafetensorsException(file, name,
                    "dtype " + dtype + " cannot be used as a float matrix (allowed: F32, BF16, F16)");
        }
        long rows;
        long cols;
        switch (shape.length) {
            case 1 -> { rows = 1; cols = shape[0]; }
            case 2 -> { rows = shape[0]; cols = shape[1]; }
            default -> throw new SafetensorsException(file, name,
                    "shape " + shapeString(shape) + " is not 1-D or 2-D, so it has no matrix view");
        }
        if (rows > Integer.MAX_VALUE || cols > Integer.MAX_VALUE) {
            throw new SafetensorsException(file, name,
                    "shape " + shapeString(shape) + " has a dimension beyond " + Integer.MAX_VALUE);
        }
        return Matrix.of(data, dtype, (int) rows, (int) cols);
    }

    /**
     * The values widened to fp32 in a new heap array (for weights that will be trained, which live
     * in fp32); F32, BF16 and F16 only.
     */
    public float[] toFloatArray() {
        if (!dtype.isComputable()) {
            throw new SafetensorsException(file, name, "dtype " + dtype + " cannot be read as floats (allowed: F32, BF16, F16)");
        }
        if (elementCount() > Integer.MAX_VALUE - 8) {
            throw new SafetensorsException(file, name, "has " + elementCount() + " elements, too many for one Java array");
        }
        float[] out = new float[(int) elementCount()];
        if (dtype == DType.F32) {
            MemorySegment.copy(data, FLOAT_LE, 0, out, 0, out.length);
            return out;
        }
        // 16-bit floats: bulk-copy chunks of raw bits, then widen (much faster than element-wise reads).
        short[] bits = new short[Math.min(out.length, 1 << 16)];
        for (int start = 0; start < out.length; start += bits.length) {
            int len = Math.min(bits.length, out.length - start);
            MemorySegment.copy(data, SHORT_LE, (long) start * 2, bits, 0, len);
            if (dtype == DType.BF16) {
                for (int i = 0; i < len; i++) out[start + i] = Numbers.bf16ToFloat(bits[i]);
            } else {
                for (int i = 0; i < len; i++) out[start + i] = Numbers.f16ToFloat(bits[i]);
            }
        }
        return out;
    }

    /** The shape as Python prints it, e.g. [4096, 11008]. */
    public static String shapeString(long[] shape) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(shape[i]);
        }
        return sb.append(']').toString();
    }

    @Override
    public String toString() {
        return name + " " + dtype + shapeString(shape);
    }
}
