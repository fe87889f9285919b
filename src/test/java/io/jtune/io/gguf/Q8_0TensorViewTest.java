package io.jtune.io.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jtune.tensor.Matrix;
import io.jtune.tensor.Q8_0Matrix;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Q8_0 tensor as a GGUF file stores it is a matrix the GEMM can read in place. */
class Q8_0TensorViewTest {
    @TempDir Path dir;

    @Test
    void storedBytesViewedAsAMatrixReadAsTheReadersFloats() throws IOException {
        int rows = 5, cols = 96;
        float[] v = new float[rows * cols];
        Random rnd = new Random(8);
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
        Path file = dir.resolve("q.gguf");
        GgufWriter.write(file, new GgufMetadata(),
                List.of(GgufTensor.matrix("w", GgmlType.Q8_0, TensorRows.of(Matrix.of(v, rows, cols)))));
        try (GgufReader r = GgufReader.open(file)) {
            byte[] stored = r.rawBytes("w");
            Q8_0Matrix view = Q8_0Matrix.view(MemorySegment.ofArray(stored), rows, cols);
            assertArrayEquals(stored, Q8_0Matrix.quantize(v, rows, cols).blocks().toArray(ValueLayout.JAVA_BYTE),
                    "the writer's bytes are the tensor package's quantization");
            float[] read = new float[rows * cols];
            for (int row = 0; row < rows; row++) view.readRow(row, 0, cols, read, row * cols);
            assertArrayEquals(r.readFloats("w"), read);
            assertEquals(r.readFloats("w")[cols + 33], view.get(1, 33));
        }
    }
}
