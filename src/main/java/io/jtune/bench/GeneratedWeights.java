package io.jtune.bench;

import io.jtune.model.WeightSource;
import io.jtune.model.arch.Families;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelFamily;
import io.jtune.model.arch.ModelTensor;
import io.jtune.model.arch.ModuleSpec;
import io.jtune.nn.ParallelTasks;
import io.jtune.tensor.DType;
import io.jtune.tensor.Matrix;
import io.jtune.tensor.Numbers;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.SplittableRandom;

/**
 * Random bf16 weights made when asked for, one tensor at a time, each from its own seed (the seed
 * and the tensor's name): nothing is held here, and with a quantization the decoder linear weights
 * (or whichever tensors the quantizer is for) go from a bf16 draw that is freed right after straight
 * into their quantized format, so a
 * 7B-shaped checkpoint never exists in bf16. Matrices are normal(0, 0.02), norm weights 1 +
 * normal(0, 0.1), biases normal(0, 0.02), as {@link io.jtune.model.RandomWeights} draws them.
 */
final class GeneratedWeights implements WeightSource {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int CHUNK = 1 << 16;
    private final long seed;
    private final Map<String, ModelTensor> tensors = new LinkedHashMap<>();

    private final Predicate<ModelTensor> quantized;
    private final UnaryOperator<Matrix> quantizer;

    /** With {@code quantizer} applied to the tensors {@code quantized} picks, as they are made. */
    GeneratedWeights(ModelConfig config, long seed, Predicate<ModelTensor> quantized, UnaryOperator<Matrix> quantizer) {
        this.seed = seed;
        this.quantized = quantized;
        this.quantizer = quantizer;
        ModelFamily family = Families.of(config);
        for (ModelTensor t : family.checkpointTensors(config)) tensors.put(t.name(), t);
    }

    @Override
    public Matrix tensor(String name) {
        ModelTensor t = tensors.get(name);
        if (t == null) return null;
        if (quantized.test(t)) {
            // the bf16 draw lives only until it is quantized
            try (Arena arena = Arena.ofShared()) {
                return quantizer.apply(generate(t, arena));
            }
        }
        return generate(t, Arena.ofAuto());
    }

    /**
     * The tensor's values in bf16 off the heap, like a mapped checkpoint (the GEMM's widening is
     * compiled for the segments it meets; heap and native ones in one process slow it down).
     */
    private Matrix generate(ModelTensor t, Arena arena) {
        String name = t.name();
        boolean norm = t.spec().kind() == ModuleSpec.Kind.NORM;
        long tensorSeed = seed * 31 + name.hashCode();
        int rows = t.vector() ? 1 : t.rows();
        int cols = t.cols();
        long n = (long) rows * cols;
        MemorySegment bits = arena.allocate(2 * n, 64);
        // chunks with seeds of their own, drawn in parallel (a 7B model has 6.7e9 values to draw)
        int chunks = (int) ((n + CHUNK - 1) / CHUNK);
        ParallelTasks.forEach(chunks, c -> {
            SplittableRandom rnd = new SplittableRandom(tensorSeed * 1_000_003L + c);
            for (long i = (long) c * CHUNK, end = Math.min(n, i + CHUNK); i < end; i++) {
                bits.set(SHORT_LE, 2 * i, Numbers.floatToBf16((float) ((norm ? 1 : 0) + (norm ? 0.1 : 0.02) * rnd.nextGaussian())));
            }
        });
        return Matrix.of(bits, DType.BF16, rows, cols);
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public String describe() {
        return "generated random weights";
    }
}
