package io.jtune.io;

import io.jtune.io.safetensors.SafetensorsCheckpoint;
import io.jtune.io.safetensors.SafetensorsWriter;
import io.jtune.io.safetensors.StoredTensor;
import io.jtune.io.safetensors.TensorToWrite;
import io.jtune.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Not a test: times writing a sharded bf16 checkpoint from fp32 arrays, opening it, and reading it
 * back (NaN scan, fp32 copy). Usage: java ... io.jtune.io.SafetensorsBench [megabytes]
 */
public final class SafetensorsBench {
    public static void main(String[] args) throws Exception {
        int mb = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int rows = 4096;
        int cols = 2048; // 8M bf16 elements = 16 MB a tensor
        int count = Math.max(1, mb / 16);
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) values[i] = (i % 1000) * 1e-3f;
        List<TensorToWrite> tensors = new ArrayList<>();
        for (int t = 0; t < count; t++) tensors.add(TensorToWrite.ofFloats("w" + t, DType.BF16, new long[] {rows, cols}, values));
        Path dir = Files.createTempDirectory("jtune-bench");
        try {
            long t0 = System.nanoTime();
            List<Path> files = SafetensorsWriter.writeCheckpoint(dir, tensors, 100_000_000L);
            long t1 = System.nanoTime();
            SafetensorsCheckpoint.open(dir).close(); // warm-up: class loading, JIT
            long t1b = System.nanoTime();
            try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
                long t2 = System.nanoTime();
                double sum = 0;
                for (StoredTensor s : c.tensors()) sum += s.toFloatArray()[cols + 1];
                long t3 = System.nanoTime();
                double bytes = count * (double) rows * cols * 2;
                System.out.printf("%d MB bf16 in %d files: write (fp32->bf16, fsync) %.0f MB/s, open %.1f ms, read to fp32 %.0f MB/s (check %.1f)%n",
                        mb, files.size(), bytes / 1e6 / ((t1 - t0) / 1e9), (t2 - t1b) / 1e6, bytes / 1e6 / ((t3 - t2) / 1e9), sum);
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
