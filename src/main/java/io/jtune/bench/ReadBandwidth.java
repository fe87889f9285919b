package io.jtune.bench;

import io.jtune.tensor.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's memory-read bandwidth as decoding meets it: a buffer as large as the bytes one
 * token reads, summed by the kernel threads (each its own slice), best of a few passes. A decode
 * step cannot go faster than reading its weights at this rate: that is the roofline.
 */
public final class ReadBandwidth {
    private static final VectorSpecies<Long> V = LongVector.SPECIES_PREFERRED;

    private ReadBandwidth() {}

    /** Bytes per second reading {@code bytes} (rounded up to whole vectors) with the current kernel threads. */
    public static double measure(long bytes, int passes) {
        long size = Math.max(V.vectorByteSize(), (bytes + V.vectorByteSize() - 1) / V.vectorByteSize() * V.vectorByteSize());
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = arena.allocate(size, 64);
            buffer.fill((byte) 1);   // pages in, so the passes time reads only
            int parts = Math.max(1, Parallel.threads());
            long[] sums = new long[parts];
            double best = Double.MAX_VALUE;
            for (int pass = 0; pass < passes; pass++) {
                long t0 = System.nanoTime();
                Parallel.run(parts, part -> sums[part] += sum(buffer, size * part / parts / V.vectorByteSize(),
                        size * (part + 1) / parts / V.vectorByteSize()));
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
            long all = 0;
            for (long s : sums) all += s;
            if (all == 42) System.out.print("");   // keeps the sums alive, so the reads are not optimized away
            return size / best;
        }
    }

    /** Sum of the longs of vectors [v0, v1), four accumulators deep so that the adds do not wait on each other. */
    private static long sum(MemorySegment buffer, long v0, long v1) {
        long step = V.vectorByteSize();
        LongVector a = LongVector.zero(V), b = a, c = a, d = a;
        long v = v0;
        for (; v + 4 <= v1; v += 4) {
            long at = v * step;
            a = a.add(LongVector.fromMemorySegment(V, buffer, at, ByteOrder.LITTLE_ENDIAN));
            b = b.add(LongVector.fromMemorySegment(V, buffer, at + step, ByteOrder.LITTLE_ENDIAN));
            c = c.add(LongVector.fromMemorySegment(V, buffer, at + 2 * step, ByteOrder.LITTLE_ENDIAN));
            d = d.add(LongVector.fromMemorySegment(V, buffer, at + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        for (; v < v1; v++) a = a.add(LongVector.fromMemorySegment(V, buffer, v * step, ByteOrder.LITTLE_ENDIAN));
        return a.add(b).add(c).add(d).reduceLanes(VectorOperators.ADD);
    }
}
