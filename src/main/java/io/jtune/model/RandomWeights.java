package io.jtune.model;

import io.jtune.model.arch.Families;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelFamily;
import io.jtune.model.arch.ModelTensor;
import io.jtune.model.arch.ModuleSpec;
import io.jtune.tensor.DType;
import io.jtune.tensor.Matrix;
import io.jtune.tensor.Numbers;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A seeded random checkpoint for any {@link ModelConfig}: every tensor its family declares, with
 * normal(0, 0.02) matrices, norm weights near 1 and small biases; stored fp32 on the heap or bf16
 * off-heap like a mapped checkpoint. For tests and benchmarks (build a model from a config alone and
 * run a step).
 */
public final class RandomWeights implements WeightSource {
    /**
     * The order a layer's tensors are drawn in: q/k/v/o weights, then their biases; q/k norms;
     * gate/up/down weights, then their biases; the layer norms. It is the order this class has
     * always used, so a seed keeps giving the same model (golden tests depend on it).
     */
    private static final Comparator<ModelTensor> DRAW_ORDER = Comparator.comparingInt((ModelTensor t) -> switch (t.role()) {
        case Q_PROJ, K_PROJ, V_PROJ, O_PROJ -> 0;
        case Q_NORM, K_NORM -> 1;
        case GATE_PROJ, UP_PROJ, DOWN_PROJ -> 2;
        default -> 3;
    }).thenComparing(ModelTensor::bias);

    private final Map<String, Matrix> tensors = new LinkedHashMap<>();

    public RandomWeights(ModelConfig c, long seed, DType dtype) {
        this(c, seed, dtype, 0.02);
    }

    /** With matrices drawn from normal(0, std) (tests use larger values so every path carries signal). */
    public RandomWeights(ModelConfig c, long seed, DType dtype, double std) {
        this(Families.of(c), c, seed, dtype, std);
    }

    /** The tensors of an explicitly given family, e.g. one declared outside {@link Families}. */
    public RandomWeights(ModelFamily family, ModelConfig c, long seed, DType dtype, double std) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<ModelTensor> drawOrder = new ArrayList<>(family.stemTensors(c));
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            drawOrder.addAll(family.layerTensors(c, l).stream().sorted(DRAW_ORDER).toList());
        }
        drawOrder.addAll(family.headTensors(c, !c.tieWordEmbeddings()));
        for (ModelTensor t : drawOrder) {
            boolean norm = t.spec().kind() == ModuleSpec.Kind.NORM;
            // norm weights scale by ~ 1 + normal(0, 0.1) (a Gemma norm stores the offset from 1);
            // matrices and biases ~ normal(0, std)
            double normMean = 1 - family.norm().weightOffset();
            put(t.name(), t.rows(), t.cols(), norm ? 0.1 : std, norm ? normMean : 0, rnd, dtype);
        }
    }

    private void put(String name, int rows, int cols, double std, double mean, SplittableRandom rnd, DType dtype) {
        int n = rows * cols;
        if (dtype == DType.F32) {
            float[] data = new float[n];
            for (int j = 0; j < n; j++) data[j] = (float) (mean + std * rnd.nextGaussian());
            tensors.put(name, Matrix.of(data, rows, cols));
        } else if (dtype == DType.BF16) {
            MemorySegment seg = Arena.ofAuto().allocate((long) n * 2, 2);
            var layout = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            short[] chunk = new short[Math.min(n, 1 << 16)];
            for (int start = 0; start < n; start += chunk.length) {
                int len = Math.min(chunk.length, n - start);
                for (int j = 0; j < len; j++) chunk[j] = Numbers.floatToBf16((float) (mean + std * rnd.nextGaussian()));
                MemorySegment.copy(chunk, 0, seg, layout, (long) start * 2, len);
            }
            tensors.put(name, Matrix.of(seg, DType.BF16, rows, cols));
        } else {
            throw new IllegalArgumentException("random weights come in F32 or BF16, not " + dtype);
        }
    }

    /** Replaces one tensor (tests use it to inject bad shapes or values). */
    public RandomWeights with(String name, Matrix m) {
        tensors.put(name, m);
        return this;
    }

    public RandomWeights without(String name) {
        tensors.remove(name);
        return this;
    }

    @Override public Matrix tensor(String name) { return tensors.get(name); }
    @Override public Set<String> names() { return tensors.keySet(); }
    @Override public String describe() { return "random weights"; }
}
